"""The words billing exports write for a yes/no, a billing interval, a kind of invoice line, a tax or discount
rate and a discount's duration — one table, read by the Python rules (parsing.py) and turned into the SQL
macros the import types millions of cells with (values_sql.py), so the two never disagree.

A cell is matched after the folding every value gets (full-width ASCII to ASCII, trimmed: parsing.normalize_text
and v_norm) and lower-casing. A word not in the table is a rejected cell naming the file, row and column.
"""

from __future__ import annotations

# kind -> canonical value -> the words that mean it
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    # yes/no: cancel at period end, tax included
    "flag": {
        "true": ("true", "yes", "y", "t", "1", "on", "はい", "有", "あり", "○", "〇", "◯", "✓", "税込", "税込み", "内税"),
        "false": ("false", "no", "n", "f", "0", "off", "いいえ", "無", "×", "税抜", "税抜き", "外税"),
    },
    # how often a subscription is billed (with interval_count: every 2 years = year × 2)
    "interval": {
        "day": ("day", "daily", "日", "日次", "毎日", "日額"),
        "week": ("week", "weekly", "週", "週次", "毎週", "週額"),
        "month": ("month", "monthly", "月", "月次", "月額", "毎月", "月払い", "月払", "1ヶ月", "1か月", "1カ月", "1ヵ月",
                  "1ケ月", "1 month"),
        "quarter": ("quarter", "quarterly", "四半期", "四半期払い", "3ヶ月", "3か月", "3カ月", "3ヵ月", "3ケ月", "3 months"),
        "half_year": ("half_year", "half-year", "half year", "semiannual", "semi-annual", "semiannually", "半年", "半期",
                      "半年払い", "6ヶ月", "6か月", "6カ月", "6ヵ月", "6ケ月", "6 months"),
        "year": ("year", "yearly", "annual", "annually", "年", "年次", "年額", "毎年", "年払い", "年払", "年間", "1年",
                 "12ヶ月", "12か月", "12カ月", "12ヵ月", "12ケ月", "12 months"),
    },
    # what an invoice line bills: only recurring lines are MRR
    "line_kind": {
        "recurring": ("recurring", "subscription", "license", "定額", "継続", "月額", "年額", "利用料", "月額利用料",
                      "年間利用料", "基本料", "基本料金", "ライセンス", "サブスクリプション"),
        "one_time": ("one_time", "one-time", "one time", "onetime", "setup", "setup fee", "invoiceitem", "初期費用", "導入費", "導入費用",
                     "初期設定", "一時", "一時費用", "単発", "スポット"),
        "usage": ("usage", "metered", "overage", "従量", "従量課金", "従量料金", "超過", "超過料金"),
        "credit": ("credit", "credit note", "refund", "値引", "値引き", "割引", "返金", "クレジット"),
    },
    # a discount's duration besides "N months" (3, 3ヶ月, 3 months)
    "duration": {
        "once": ("once", "1回", "一回", "初回", "初回のみ", "1回のみ", "一度"),
        "forever": ("forever", "永続", "永久", "無期限", "ずっと", "継続"),
        # Stripe's coupons: "repeating" for the months in its own column (duration in months)
        "repeating": ("repeating", "月数指定", "期間限定"),
    },
}

# Reading "N months" (a discount's duration) and a rate ("10%", "8％", "0.1", "軽減8%"): the same patterns in
# Python (re) and in SQL (RE2); only ASCII digits and spaces, so both read them alike.
MONTHS_PATTERN = r"([0-9]{1,3}) *(ヶ月|か月|カ月|ヵ月|ケ月|months|month|mo)?"
RATE_PATTERN = r"(軽減税率|軽減|標準税率|標準)? *([0-9]{1,3}(\.[0-9]{1,6})?) *(%)?"
# A rate of 1 or more without % is a percentage (20 is 20%, 1 is 1%); below 1 a fraction (0.08 is 8%).

# A service period in one cell (利用期間 2026/04/01～2026/04/30, 2026/04/01-2026/04/30): two dates and a
# separator between them; or a month (2026年4月分, 2026/04): its first to its last day.
PERIOD_PATTERN = r"(.+?) *(~|〜|から|–| - ) *(.+)"
PERIOD_SLASHED = r"([0-9]{4}/[0-9]{1,2}/[0-9]{1,2})(-)([0-9]{4}/[0-9]{1,2}/[0-9]{1,2})"
PERIOD_MONTH = r"([0-9]{4})(年|/|-)([0-9]{1,2})月?分?"

ERROR_KEYS = {"flag": "not_a_flag", "interval": "not_an_interval", "line_kind": "not_a_line_kind",
              "duration": "not_a_duration", "rate": "not_a_rate",
              "period": "not_a_period"}


def lookup(kind: str) -> dict[str, str]:
    """word -> canonical value, for one kind."""
    return {word.lower(): value for value, words in WORDS[kind].items() for word in words}


def examples(kind: str, lang: str = "ja") -> str:
    """A few of the words a kind accepts, for a rejected cell's message."""
    picks = [words[1 if lang == "ja" and len(words) > 6 else 0] for words in WORDS.get(kind, {}).values()]
    return ", ".join(picks)

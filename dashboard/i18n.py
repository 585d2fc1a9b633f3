"""User text in Japanese and English, and number formatting for the locale."""

from __future__ import annotations

import math
import os

LANGS = ("ja", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # import refusals and row errors
    "empty_file": {"ja": "{file}: ファイルが空です。", "en": "{file}: the file is empty."},
    "no_rows": {"ja": "{file}: 見出し行の下にデータ行がありません。", "en": "{file}: there are no data rows below the header."},
    "unknown_encoding": {"ja": "{file}: 文字コードを判定できません（UTF-8 / Shift_JIS(CP932) のCSVを保存し直してください）。",
                         "en": "{file}: cannot tell the text encoding (save it as UTF-8 or Shift_JIS/CP932 CSV)."},
    "not_a_table": {"ja": "{file}: 表形式のデータとして読めません（{detail}）。",
                    "en": "{file}: cannot be read as a table ({detail})."},
    "not_a_workbook": {"ja": "{file}: Excelブックとして開けません。ファイルが壊れているか途中で切れています（{detail}）。",
                       "en": "{file}: cannot open this Excel workbook; it is damaged or truncated ({detail})."},
    "no_sheet": {"ja": "{file}: シート「{sheet}」がありません（シート: {sheets}）。",
                 "en": "{file}: there is no sheet \"{sheet}\" (sheets: {sheets})."},
    "no_matching_sheet": {"ja": "{file}: {dataset} の必須列を含むシートが見つかりません（シート: {sheets}）。",
                          "en": "{file}: no sheet has the columns {dataset} needs (sheets: {sheets})."},
    "missing_column": {"ja": "{file} 1行目: 必須列「{column}」に当たる見出しがありません（見出し: {headers}）。",
                       "en": "{file} row 1: no header maps to the required column \"{column}\" (headers: {headers})."},
    "unknown_header": {"ja": "{file} 1行目: 指定された見出し「{header}」がファイルにありません。",
                       "en": "{file} row 1: the header \"{header}\" given for {column} is not in the file."},
    "unknown_column": {"ja": "{dataset} に列「{column}」はありません。", "en": "{dataset} has no column \"{column}\"."},
    "unknown_dataset": {"ja": "データセット「{dataset}」はありません。", "en": "there is no dataset \"{dataset}\"."},
    "required_unreadable": {"ja": "{file} {row}行目「{header}」列: 値「{value}」を{kind}として読めません。この列の多くの行が同様のため取り込みを中止しました（列の対応付けを確認してください）。",
                            "en": "{file} row {row}, column \"{header}\": cannot read \"{value}\" as {kind}; most rows of this column fail the same way, so nothing was imported (check the column mapping)."},
    "all_rows_rejected": {"ja": "{file}: 読み込める行がありません。最初のエラー: {row}行目「{header}」列 {message}",
                          "en": "{file}: no row could be read. First error: row {row}, column \"{header}\": {message}"},
    "not_a_number": {"ja": "数値として読めません: 「{value}」", "en": "not a number: \"{value}\""},
    "not_a_date": {"ja": "日付として読めません: 「{value}」", "en": "not a date: \"{value}\""},
    "required_blank": {"ja": "必須項目が空です", "en": "required value is blank"},
    "duplicate_key": {"ja": "重複しています（{value}）", "en": "duplicate of an earlier row ({value})"},
    "extra_fields": {"ja": "見出しより列が多い行です", "en": "the row has more fields than the header"},
    "kind_number": {"ja": "数値", "en": "a number"},
    "kind_date": {"ja": "日付", "en": "a date"},
}


def default_lang() -> str:
    env = os.environ.get("DASHBOARD_LANG") or os.environ.get("LANG", "")
    return "ja" if env.lower().startswith("ja") else "en"


def t(key: str, lang: str | None = None, **kwargs: object) -> str:
    lang = lang if lang in LANGS else default_lang()
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry[lang].format(**kwargs)


def yen(value: float | int | None, lang: str = "ja") -> str:
    """12345.6 -> '¥12,346' (ja and en alike; yen has no minor unit)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"-¥{abs(round(value)):,}" if value < 0 else f"¥{round(value):,}"


def yen_compact(value: float | int | None, lang: str = "ja") -> str:
    """Large amounts for KPI cards: '¥1.2億' / '¥3,450万' in Japanese, '¥12.3M' in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if lang == "ja":
        if v >= 1e8:
            return f"{sign}¥{v / 1e8:,.2f}億"
        if v >= 1e4:
            return f"{sign}¥{v / 1e4:,.0f}万"
        return f"{sign}¥{v:,.0f}"
    if v >= 1e9:
        return f"{sign}¥{v / 1e9:,.2f}B"
    if v >= 1e6:
        return f"{sign}¥{v / 1e6:,.1f}M"
    if v >= 1e4:
        return f"{sign}¥{v / 1e3:,.0f}K"
    return f"{sign}¥{v:,.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.{digits}f}%"


def integer(value: float | int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{round(value):,}"

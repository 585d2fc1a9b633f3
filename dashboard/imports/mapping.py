"""Matching a file's headers to canonical columns (Japanese and English synonyms), with a confidence."""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata

# The account's key in every export about accounts (a deals export has an ID of its own: not a plain "id").
ACCOUNT_ID = ["account_id", "account id", "accountid", "customer id", "client id", "id", "取引先id", "顧客id",
              "顧客コード", "取引先コード", "アカウントid", "会社id", "企業id"]

# Canonical column -> synonyms. Matching ignores case, width, spaces, underscores and punctuation.
SYNONYMS: dict[str, dict[str, list[str]]] = {
    "accounts": {
        "account_id": ACCOUNT_ID,
        "name": ["name", "account name", "company", "company name", "会社名", "取引先名", "顧客名", "企業名",
                 "アカウント名"],
        "mrr": ["mrr", "monthly fee", "monthly revenue", "月額", "月額料金", "月額費用", "契約金額", "月額売上",
                "mrr(円)"],
        "contract_start": ["contract_start", "start date", "contract start", "start", "signup date", "契約開始日",
                           "導入日", "利用開始日", "契約日", "開始日"],
        "renewal_date": ["renewal_date", "renewal date", "renewal", "契約更新日", "更新日", "次回更新日"],
        "churn_date": ["churn_date", "churn date", "cancel date", "cancellation date", "解約日", "退会日"],
        "status": ["status", "ステータス", "契約ステータス", "状態"],
        "owner": ["owner", "csm", "account owner", "担当csm", "担当者", "担当", "cs担当"],
        "plan": ["plan", "プラン", "契約プラン", "料金プラン"],
        "industry": ["industry", "業種", "業界"],
        "segment": ["segment", "セグメント", "規模", "企業規模"],
        "tier": ["tier", "ティア", "階層", "ランク"],
        "acquisition_channel": ["acquisition_channel", "channel", "lead source", "source", "獲得チャネル",
                                "流入経路", "チャネル"],
        "acquisition_cost": ["acquisition_cost", "cac", "acquisition cost", "獲得コスト", "獲得単価"],
    },
    "usage": {
        "account_id": ACCOUNT_ID,
        "date": ["date", "day", "month", "日付", "利用日", "集計日", "対象月", "利用月", "年月", "月"],
    },
    "mrr": {
        "account_id": ACCOUNT_ID,
        "month": ["month", "billing month", "period", "請求月", "対象月", "計上月", "年月", "月"],
        "mrr": ["mrr", "amount", "billing amount", "revenue", "請求金額", "月額", "mrr(円)", "売上", "金額"],
        "plan": ["plan", "プラン"],
    },
    "orders": {
        "customer_id": ["customer_id", "customer id", "customer", "会員id", "顧客id", "購入者id", "顧客番号",
                        "会員番号"],
        "order_date": ["order_date", "order date", "date", "purchase date", "注文日", "購入日", "受注日"],
        "amount": ["amount", "order amount", "total", "注文金額", "購入金額", "金額", "合計金額", "売上"],
        "order_id": ["order_id", "order id", "注文id", "注文番号", "受注番号"],
        "channel": ["channel", "チャネル", "販売チャネル", "流入経路"],
    },
    "touchpoints": {
        "account_id": ACCOUNT_ID,
        "date": ["date", "contact date", "接触日", "対応日", "実施日", "日付"],
        "kind": ["kind", "type", "contact type", "対応種別", "種別", "接点種別"],
        "owner": ["owner", "担当者", "担当csm", "担当"],
        "note": ["note", "notes", "memo", "メモ", "備考", "内容"],
    },
    "opportunities": {
        "account_id": [a for a in ACCOUNT_ID if a != "id"],
        "amount": ["amount", "deal amount", "商談金額", "金額", "見込金額"],
        "kind": ["kind", "type", "商談種別", "種別"],
        "stage": ["stage", "status", "フェーズ", "ステージ", "商談ステータス"],
        "created": ["created", "created date", "作成日", "商談開始日"],
        "closed": ["closed", "close date", "closed date", "完了日", "受注日", "クローズ日"],
    },
    # Stripe's subscription export (Customer ID, Plan, Quantity, Amount, Interval, Start (UTC) …) and the usual
    # Japanese contract lists (契約ID, 取引先コード, プラン, 数量, 単価, 請求サイクル, 契約開始日 …). A bracketed
    # qualifier is ignored: "Start Date (UTC)" is "start date".
    "subscriptions": {
        "account_id": [a for a in ACCOUNT_ID if a != "id"] + ["契約者id", "契約者コード"],
        "subscription_id": ["subscription_id", "subscription id", "subscription", "id", "契約id", "契約番号",
                            "契約コード", "サブスクリプションid"],
        "plan": ["plan", "plan name", "product", "プラン", "プラン名", "契約プラン", "料金プラン", "商品名"],
        "amount": ["amount", "plan amount", "unit amount", "unit price", "price", "単価", "金額", "料金", "価格",
                   "契約単価", "月額", "年額", "契約金額", "利用料"],
        "quantity": ["quantity", "qty", "seats", "数量", "ライセンス数", "席数", "契約数"],
        "interval": ["interval", "plan interval", "billing interval", "billing cycle", "billing period", "請求サイクル",
                     "支払サイクル", "請求間隔", "課金周期", "請求周期", "契約期間"],
        "interval_count": ["interval count", "interval_count", "plan interval count", "サイクル数", "請求間隔数"],
        "currency": ["currency", "通貨", "通貨コード"],
        "start_date": ["start_date", "start date", "start", "started", "契約開始日", "開始日", "利用開始日", "申込日"],
        "trial_end": ["trial_end", "trial end", "trial ends", "トライアル終了日", "無料期間終了日", "試用期間終了日"],
        "current_period_start": ["current period start", "当期開始日", "今期開始日"],
        "current_period_end": ["current period end", "当期終了日", "今期終了日", "次回請求日"],
        "canceled_at": ["canceled_at", "canceled at", "cancelled at", "canceled", "cancel date", "解約日", "解約申込日",
                        "キャンセル日"],
        "cancel_at_period_end": ["cancel at period end", "cancel_at_period_end", "期間満了で解約", "期間末解約",
                                 "満了解約"],
        "ended_at": ["ended_at", "ended at", "ended", "end date", "契約終了日", "終了日", "サービス終了日"],
        "status": ["status", "ステータス", "契約ステータス", "状態"],
        "discount_percent": ["discount percent", "percent off", "coupon percent off", "割引率", "値引率"],
        "discount_amount": ["discount amount", "amount off", "coupon amount off", "割引額", "値引額", "値引金額"],
        "discount_duration": ["discount duration", "coupon duration", "duration", "割引期間", "値引期間"],
        "discount_months": ["discount_months", "discount months", "duration in months", "discount duration in months",
                            "coupon duration in months", "duration_in_months", "割引月数", "値引月数", "割引の月数"],
        "tax_included": ["tax included", "tax_included", "tax inclusive", "税込税抜", "税込/税抜", "税区分", "内税外税"],
        "tax_rate": ["tax rate", "tax_rate", "tax percent", "税率", "消費税率"],
    },
    # Japanese invoice tools (請求書番号, 請求日, 取引先, 品目, 数量, 単価, 金額(税抜), 消費税, 合計(税込), 利用期間)
    "invoice_lines": {
        "account_id": [a for a in ACCOUNT_ID if a != "id"] + ["取引先", "請求先", "請求先コード"],
        "invoice_id": ["invoice_id", "invoice id", "invoice number", "invoice", "請求書番号", "請求書id", "請求番号",
                       "伝票番号"],
        "invoice_date": ["invoice_date", "invoice date", "date", "請求日", "請求書発行日", "発行日", "計上日", "売上日"],
        "item": ["item", "description", "line item", "product", "品目", "品名", "商品名", "摘要", "明細", "内容"],
        "kind": ["kind", "type", "line type", "区分", "種別", "品目区分", "売上区分", "費用区分"],
        "plan": ["plan", "プラン"],
        "subscription_id": ["subscription_id", "subscription id", "subscription", "契約id", "契約番号"],
        "quantity": ["quantity", "qty", "数量"],
        "unit_price": ["unit price", "unit_price", "price", "単価"],
        "amount": ["amount", "line amount", "subtotal", "net amount", "金額", "小計", "税抜金額", "請求金額", "合計",
                   "合計金額", "total", "税込金額"],
        "tax_amount": ["tax", "tax amount", "消費税", "消費税額", "税額"],
        "tax_included": ["tax included", "tax_included", "tax inclusive", "税込税抜", "税区分", "内税外税"],
        "tax_rate": ["tax rate", "tax_rate", "税率", "消費税率"],
        "currency": ["currency", "通貨", "通貨コード"],
        "service_start": ["service_start", "service start", "period start", "service period start", "利用開始日",
                          "請求期間開始日", "対象期間開始日", "期間開始日", "利用期間開始日"],
        "service_end": ["service_end", "service end", "period end", "service period end", "利用終了日", "請求期間終了日",
                        "対象期間終了日", "期間終了日", "利用期間終了日"],
        "service_period": ["service period", "billing period", "period", "利用期間", "請求期間", "対象期間", "サービス期間"],
    },
    "fx_rates": {
        "month": ["month", "date", "月", "年月", "対象月", "日付"],
        "currency": ["currency", "通貨", "通貨コード"],
        "rate": ["rate", "exchange rate", "fx rate", "レート", "為替レート", "換算レート", "仲値", "ttm"],
    },
}


def implied(dataset: str, mapping: dict[str, str]) -> dict[str, str]:
    """Values a header says of a column the file does not have: an amount headed 年額 (or Annual …) is billed
    yearly, 月額 monthly; 金額(税込) includes tax, 金額(税抜) does not. Column -> canonical value (the words of
    vocabulary.WORDS), for the columns the mapping leaves out."""
    header = mapping.get("amount")
    if header is None or dataset not in ("subscriptions", "invoice_lines"):
        return {}
    text, words = _words(header)
    out = {}
    if dataset == "subscriptions" and "interval" not in mapping:
        if any(w in text for w in _MONTHLY_JA) or {"monthly", "mrr"} & words:
            out["interval"] = "month"
        elif any(w in text for w in _YEARLY_JA) or {"annual", "yearly", "annually", "acv"} & words:
            out["interval"] = "year"
    if "tax_included" not in mapping:
        if any(w in text for w in ("税込", "内税")) or "incl" in text.replace(" ", ""):
            out["tax_included"] = "true"
        elif any(w in text for w in ("税抜", "外税")) or "excl" in text.replace(" ", ""):
            out["tax_included"] = "false"
    return out

# Usage measure columns: header synonyms -> canonical measure name. Other numeric columns keep their name.
MEASURE_SYNONYMS: dict[str, list[str]] = {
    "logins": ["logins", "login count", "ログイン数", "ログイン回数"],
    "page_views": ["page_views", "page views", "pv", "pageviews", "表示数", "閲覧数", "ページビュー", "フォーム表示数"],
    "active_users": ["active_users", "active users", "アクティブユーザー数", "アクティブユーザ数", "利用者数"],
}


# A bracketed qualifier says how a value is given, not what it is: 月額(税抜), 金額（税込）, MRR[円].
_QUALIFIER = re.compile(r"[(（\[【［〔][^)）\]】］〕]*[)）\]】］〕]")
# Words that mark a header as a column the product knows, when no column takes it.
_KNOWN_WORDS = ("月額", "金額", "売上", "mrr", "料金", "日", "id", "コード", "番号", "プラン", "担当", "解約", "契約")


# Headers that say a yearly amount (年額, 年間利用料, Annual fee, ACV, ARR): never taken as the monthly MRR by
# themselves — a year's figure read as a month's is twelve times too much. So is a contract amount
# (契約金額) beside a billing interval or term column: it may be a year's, or the whole term's. A header
# that also says monthly (月額（年間契約）, MRR (annual plan)) is monthly.
_YEARLY_JA = ("年額", "年間", "年契約", "年払", "年度契約")
_YEARLY_EN = {"annual", "annually", "yearly", "acv", "arr", "tcv"}
_MONTHLY_JA = ("月額", "月次", "月払", "毎月", "月間")
_MONTHLY_EN = {"mrr", "monthly", "month"}
_CONTRACT_AMOUNT = ("契約金額", "contractamount", "contractvalue")
_INTERVAL = ("請求サイクル", "支払サイクル", "請求間隔", "契約期間", "interval", "billingcycle", "billingperiod",
             "billingfrequency", "term")
# Of the yearly headers, those that name an amount a contract is billed (not a company's annual revenue or
# a yearly-contract flag): worth telling the user they were not taken.
_CONTRACT_WORDS_JA = ("年額", "契約金額", "利用料", "料金", "契約額", "費用")
_CONTRACT_WORDS_EN = {"acv", "arr", "tcv", "fee", "fees", "price", "amount", "contract", "subscription", "plan"}


def _words(header: str) -> tuple[str, set[str]]:
    text = unicodedata.normalize("NFKC", str(header)).lower()
    return text, set(re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header)).lower()))


def says_yearly(header: str, headers: list[str]) -> bool:
    """Whether ``header`` names a yearly amount (or a contract amount beside an interval or term column)."""
    text, words = _words(header)
    if any(w in text for w in _MONTHLY_JA) or _MONTHLY_EN & words:
        return False
    if any(w in text for w in _YEARLY_JA) or _YEARLY_EN & words:
        return True
    return normalize_header(header) in _CONTRACT_AMOUNT and any(
        word in normalize_header(other) for other in headers if other != header for word in _INTERVAL)


def yearly_contract_amount(header: str, headers: list[str]) -> bool:
    """A yearly header that names what a contract is billed (年額, ACV, Annual fee), not another yearly figure."""
    text, words = _words(header)
    return says_yearly(header, headers) and (any(w in text for w in _CONTRACT_WORDS_JA) or bool(_CONTRACT_WORDS_EN & words))


def normalize_header(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header)).lower().strip()
    without = _QUALIFIER.sub("", text).strip()
    text = without or text  # a header that is only a bracket keeps its text
    return re.sub(r"[\s_\-・/()（）\[\]【】:：.]+", "", text)


def looks_like_a_column(header: str) -> bool:
    """Whether an unmapped header looks like a column the product reads (worth a warning)."""
    norm = normalize_header(header)
    return any(word in norm for word in _KNOWN_WORDS)


def source_key(headers: list[str]) -> str:
    """A stable identity for 'this kind of export': its normalised header set."""
    joined = "\n".join(sorted(normalize_header(h) for h in headers))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def _score(header: str, synonyms: list[str]) -> float:
    norm = normalize_header(header)
    normed = [normalize_header(s) for s in synonyms]
    if norm in normed:
        return 1.0
    best = max((difflib.SequenceMatcher(None, norm, s).ratio() for s in normed), default=0.0)
    if any(len(s) >= 3 and (s in norm) for s in normed):
        best = max(best, 0.8)
    return round(best, 2)


def suggest(dataset: str, headers: list[str], threshold: float = 0.75) -> dict[str, tuple[str, float]]:
    """Canonical column -> (header, confidence) for the best one-to-one matches above threshold."""
    candidates = []
    for canonical, synonyms in SYNONYMS[dataset].items():
        for header in headers:
            if canonical == "mrr" and says_yearly(header, headers):
                continue  # a year's amount is not a month's: the user maps it knowingly, or not at all
            score = _score(header, synonyms)
            if score >= threshold:
                candidates.append((score, canonical, header))
    # Greedy by score; ties broken by the canonical order (required columns first) then header order.
    order = list(SYNONYMS[dataset])
    candidates.sort(key=lambda c: (-c[0], order.index(c[1]), headers.index(c[2])))
    chosen: dict[str, tuple[str, float]] = {}
    used: set[str] = set()
    for score, canonical, header in candidates:
        if canonical not in chosen and header not in used:
            chosen[canonical] = (header, score)
            used.add(header)
    return chosen


def measure_name(header: str) -> str:
    """The canonical measure name of a usage column ('ログイン数' -> 'logins'); else its own header."""
    for name, synonyms in MEASURE_SYNONYMS.items():
        if _score(header, synonyms) == 1.0:
            return name
    return str(header).strip()

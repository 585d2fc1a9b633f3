"""Every result the product shows: its SQL file, parameters, whether it honours the account filters,
and its columns with Japanese and English labels, formats and the definition each figure follows.

Adding an account list is one SQL file in ``sql/``, one ``Result`` below and its page section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    ja: str
    en: str
    fmt: str = "text"  # text | id | int | money | pct | score | delta | date | month | days | float | list | flag
    definition: str | None = None  # a key of definitions.DEFINITIONS: the one meaning of this figure

    def label(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


@dataclass(frozen=True)
class Result:
    name: str
    params: tuple[str, ...]  # required parameters (dates as datetime.date)
    columns: tuple[Column, ...] = ()
    filters: bool = True  # honours the account filters (applied in its SQL)
    defaults: dict = field(default_factory=dict)
    doc: str = ""
    source: str | None = None  # a result this one's SQL reads (registered under its name), not the store
    # The account filters only pick this result's rows by this column (its SQL has {in_scope:<column>} in
    # its final WHERE and nothing else depends on them): a filtered view is then read from the whole
    # result when that is kept, in the same order (tests/test_result_store.py checks each such result).
    rows_by: str | None = None

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _c(name: str, ja: str, en: str, fmt: str = "text", definition: str | None = None) -> Column:
    return Column(name, ja, en, fmt, definition)


# Shared column declarations (one label per meaning).
ACCOUNT_ID = _c("account_id", "ID", "ID", "id")
NAME = _c("name", "会社名", "Company")
TIER = _c("tier", "ティア", "Tier", definition="tiers")
MRR = _c("mrr", "MRR", "MRR", "money", "mrr")
SCORE = _c("score", "スコア", "Score", "score", "health")
BAND = _c("band", "区分", "Band", definition="health")
CHANGE = _c("change", "前回比", "Change", "delta", "health")
OWNER = _c("owner", "担当CSM", "Owner")
# Each measure's part in an account's health score (the explain section).
HEALTH_DETAILS = (
    ACCOUNT_ID, _c("measure", "測定項目", "Measure", definition="health"),
    _c("raw", "値", "Value", "float", "health"), _c("measure_score", "項目スコア", "Measure score", "score", "health"),
    _c("weight", "重み", "Weight", "float", "health"), _c("contribution", "寄与", "Contribution", "float", "health"))
PLAN = _c("plan", "プラン", "Plan")
INDUSTRY = _c("industry", "業種", "Industry")
SEGMENT = _c("segment", "セグメント", "Segment")
RENEWAL = _c("renewal_date", "更新日", "Renewal", "date", "renewals")
DAYS_TO_RENEWAL = _c("days_to_renewal", "更新まで（日）", "Days to renewal", "days", "renewals")
LAST_CONTACT = _c("last_contact", "最終接触日", "Last contact", "date", "coverage")
DAYS_SINCE_CONTACT = _c("days_since_contact", "最終接触から（日）", "Days since contact", "days", "coverage")
REASON_MEASURE = _c("reason_measure", "最も低い項目", "Weakest measure", definition="health")
REASON_VALUE = _c("reason_value", "その値", "Its value", "float", "health")
USAGE_MEASURE = _c("usage_measure", "最も低い利用項目", "Weakest usage measure", definition="health")
USAGE_VALUE = _c("usage_value", "その値", "Its value", "float", "health")
USAGE_SCORE = _c("usage_score", "その項目スコア", "Its measure score", "score", "health")

ACCOUNT_LIST = (ACCOUNT_ID, NAME, TIER, MRR, SCORE, BAND, CHANGE, OWNER, PLAN, RENEWAL)
OPEN_DEALS = _c("open_deals", "商談中", "Open deals", "int", "upsell")
OPEN_AMOUNT = _c("open_amount", "商談中の金額", "Open amount", "money", "upsell")
REASONS = _c("reasons", "理由", "Reasons", "list", "at_risk")
NEXT_ACTION = _c("next_action", "次のアクション", "Next action", definition="at_risk")
# The call list's work (dashboard/worklog.py), joined to its rows by the page and the export.
WORK = (_c("work_status", "対応状況", "Status"), _c("task", "タスク", "Task"), _c("due", "期限", "Due", "date"),
        _c("snoozed_until", "保留期限", "Snoozed until", "date"), _c("last_note", "最新メモ", "Latest note"))
AT_RISK = (ACCOUNT_ID, NAME, TIER, OWNER, MRR, SCORE, BAND, CHANGE, RENEWAL, DAYS_TO_RENEWAL, DAYS_SINCE_CONTACT,
           REASONS, NEXT_ACTION, *WORK)

RESULTS: dict[str, Result] = {r.name: r for r in [
    Result("accounts", ("as_of",), (*ACCOUNT_LIST, INDUSTRY, SEGMENT, DAYS_TO_RENEWAL, LAST_CONTACT,
                                    DAYS_SINCE_CONTACT, OPEN_DEALS, OPEN_AMOUNT, REASON_MEASURE, REASON_VALUE, USAGE_MEASURE, USAGE_VALUE,
                                    USAGE_SCORE), defaults={"compare": True}, rows_by="account_id",
           doc="Active accounts on the as-of day with tier, MRR, health, its weakest measures and the last "
               "contact (compare=False: without the change)."),
    Result("at_risk", ("as_of",), AT_RISK, source="accounts", defaults={"bands": ["red"], "within_days": None},
           doc="The calls to make: accounts in the bands asked for (red by default), red first, largest MRR "
               "first; within_days keeps renewals in (as_of, as_of + within_days]."),
    Result("renewals_due", ("as_of", "within_days"), (
        ACCOUNT_ID, NAME, TIER, OWNER, MRR, RENEWAL, DAYS_TO_RENEWAL, SCORE, BAND, CHANGE, LAST_CONTACT,
        DAYS_SINCE_CONTACT, OPEN_DEALS, OPEN_AMOUNT), defaults={"within_days": 90}, source="accounts",
           doc="The hand-off list for sales: active accounts renewing in (as_of, as_of + within_days]."),
    Result("renewals_summary", ("as_of",), (
        _c("within_days", "期間（日）", "Within (days)", "int", "renewals"), BAND,
        _c("accounts", "顧客数", "Accounts", "int", "renewals"), MRR),
        source="accounts", doc="Renewals due in 30 / 60 / 90 days by health band, with the MRR at stake."),
    Result("renewals_by_owner", ("as_of",), (
        OWNER, _c("due_30_accounts", "30日以内", "In 30 days", "int", "renewals"),
        _c("due_30_mrr", "30日以内のMRR", "MRR in 30 days", "money", "renewals"),
        _c("due_60_accounts", "60日以内", "In 60 days", "int", "renewals"),
        _c("due_60_mrr", "60日以内のMRR", "MRR in 60 days", "money", "renewals"),
        _c("due_90_accounts", "90日以内", "In 90 days", "int", "renewals"),
        _c("due_90_mrr", "90日以内のMRR", "MRR in 90 days", "money", "renewals")),
        source="accounts", doc="Renewals due in 30 / 60 / 90 days per owner."),
    Result("renewal_rates", ("as_of", "start", "grain"), (
        _c("period_start", "期間開始", "Period start", "date"), _c("period_end", "期間終了", "Period end", "date"), TIER,
        _c("renewals_due", "更新対象", "Renewals due", "int", "renewal_rate"),
        _c("renewed", "更新した顧客", "Renewed", "int", "renewal_rate"),
        _c("renewal_rate", "更新率", "Renewal rate", "pct", "renewal_rate"),
        _c("complete", "完了した期間", "Complete period")),
        doc="Contract anniversaries in each period and how many renewed, per tier."),
    Result("coverage_by_owner", ("as_of",), (
        OWNER, _c("active_accounts", "有効顧客数", "Active accounts", "int", "coverage"),
        _c("contacted_90d", "90日以内に接触", "Contacted in 90 days", "int", "coverage"),
        _c("coverage", "カバレッジ", "Coverage", "pct", "coverage")),
        source="accounts", doc="Share of each owner's active accounts contacted in the last 90 days."),
    Result("key_accounts_uncontacted", ("as_of",), (
        ACCOUNT_ID, NAME, OWNER, MRR, SCORE, BAND, LAST_CONTACT, DAYS_SINCE_CONTACT, RENEWAL), source="accounts",
        doc="Tier1 accounts without a contact in the current calendar quarter."),
    Result("contacts_before_churn", ("as_of",), (
        _c("group", "区分", "Group"), _c("accounts", "顧客数", "Accounts", "int", "coverage"),
        _c("contacts_per_account", "1社あたり接触数（180日）", "Contacts per account (180 days)", "float", "coverage"),
        _c("accounts_without_contact", "接触なしの顧客", "Accounts without contact", "int", "coverage")),
        doc="Contacts per account in the 180 days before churn vs in the 180 days to the as-of day."),
    Result("pipeline", ("as_of",), (
        TIER, OWNER, _c("stage", "フェーズ", "Stage"), _c("kind", "種別", "Kind"),
        _c("open_amount", "商談中の金額", "Open amount", "money", "upsell"),
        _c("open_count", "商談数", "Open deals", "int", "upsell")),
        doc="Deals open on the as-of day per tier, owner, stage and kind."),
    Result("won_by_month", ("as_of", "from_month"), (
        _c("month", "月", "Month", "month"), _c("kind", "種別", "Kind"),
        _c("won_amount", "受注額", "Won amount", "money", "upsell"), _c("won_count", "受注数", "Deals won", "int", "upsell"))),
    Result("upsell_rates", ("as_of", "start", "grain"), (
        _c("period_start", "期間開始", "Period start", "date"), _c("period_end", "期間終了", "Period end", "date"), TIER,
        _c("accounts_at_start", "期首顧客数", "Accounts at start", "int", "upsell"),
        _c("upsell_accounts", "アップセル顧客数", "Upsell accounts", "int", "upsell"),
        _c("upsell_rate", "アップセル率", "Upsell rate", "pct", "upsell"),
        _c("cross_sell_accounts", "クロスセル顧客数", "Cross-sell accounts", "int", "upsell"),
        _c("cross_sell_rate", "クロスセル率", "Cross-sell rate", "pct", "upsell"),
        _c("complete", "完了した期間", "Complete period"))),
    Result("tier_summary", ("as_of",), (
        TIER, _c("accounts", "顧客数", "Accounts", "int", "active_accounts"), MRR,
        _c("mrr_share", "MRR比率", "MRR share", "pct", "mrr"), _c("arpa", "ARPA", "ARPA", "money", "saas_ltv"))),
    Result("tier_thresholds", ("as_of",), filters=False, doc="Default T1/T2 on the as-of day."),
    Result("account_tiers", ("as_of",), (ACCOUNT_ID, TIER), filters=False,
           doc="Every account's tier on the as-of day (former customers: on their last day), as a tier filter "
               "selects it."),
    Result("tier_migration", ("d1", "as_of"), (
        _c("tier_from", "移動元", "From"), _c("tier_to", "移動先", "To"),
        _c("accounts", "顧客数", "Accounts", "int", "tier_migration"),
        _c("mrr_from", "MRR（移動元）", "MRR (from)", "money", "tier_migration"),
        _c("mrr_to", "MRR（移動先）", "MRR (to)", "money", "tier_migration"))),
    Result("tier_opportunities", ("start", "as_of"), (
        TIER, _c("upsell_won", "アップセル受注額", "Upsell won", "money", "tiers"),
        _c("pipeline_amount", "商談中の金額", "Open pipeline", "money", "upsell"),
        _c("pipeline_count", "商談数", "Open deals", "int", "upsell"))),
    Result("churn", ("as_of", "start", "grain"), (
        _c("period_start", "期間開始", "Period start", "date"), _c("period_end", "期間終了", "Period end", "date"),
        _c("customers_at_start", "期首顧客数", "Customers at start", "int", "customer_churn"),
        _c("customers_churned", "解約顧客数", "Customers churned", "int", "customer_churn"),
        _c("customer_churn_rate", "顧客解約率", "Customer churn rate", "pct", "customer_churn"),
        _c("retention_rate", "顧客継続率", "Customer retention rate", "pct", "customer_churn"),
        _c("joined_and_churned", "期間内に開始・解約", "Joined and churned", "int", "customer_churn"),
        _c("mrr_at_start", "期首顧客のMRR", "MRR of customers at start", "money", "churned_mrr"),
        _c("mrr_churned", "解約顧客のMRR", "MRR of churned accounts", "money", "churned_mrr"),
        _c("churned_mrr_rate", "解約MRR率", "Churned MRR rate", "pct", "churned_mrr"),
        _c("complete", "完了した期間", "Complete period")),
        defaults={"segment_by": None}),
    Result("mrr_movements", ("as_of", "from_month"), (
        _c("month", "月", "Month", "month"), _c("start", "期首MRR", "Starting MRR", "money", "movements"),
        _c("new", "新規", "New", "money", "movements"), _c("reactivation", "復活", "Reactivation", "money", "movements"),
        _c("expansion", "拡大", "Expansion", "money", "movements"),
        _c("contraction", "縮小", "Contraction", "money", "movements"),
        _c("churn", "解約", "Churn", "money", "movements"), _c("fx", "為替変動", "FX", "money", "movements"),
        _c("end", "期末MRR", "Ending MRR", "money", "movements"),
        _c("accounts", "有料顧客数", "Paying accounts", "int", "active_accounts"),
        _c("gross_revenue_churn_rate", "グロス・レベニューチャーン", "Gross revenue churn", "pct", "revenue_churn"),
        _c("net_revenue_churn_rate", "ネット・レベニューチャーン", "Net revenue churn", "pct", "revenue_churn"),
        _c("quick_ratio", "クイックレシオ", "Quick ratio", "float", "movements"),
        _c("nrr_12m", "NRR（12か月）", "NRR (12 months)", "pct", "nrr"),
        _c("grr_12m", "GRR（12か月）", "GRR (12 months)", "pct", "nrr")),
        defaults={"segment_by": None}),
    Result("cohorts", ("as_of", "from_month"), (
        _c("cohort", "コホート", "Cohort", "month", "cohorts"), _c("k", "経過月", "Months since", "int", "cohorts"),
        _c("logo_retention", "コホートの顧客継続率", "Cohort logo retention", "pct", "cohorts"),
        _c("revenue_retention", "コホートの売上継続率", "Cohort revenue retention", "pct", "cohorts"))),
    Result("health_details", ("as_of",), HEALTH_DETAILS, rows_by="account_id"),
    Result("account_health", ("as_of", "account_id"), HEALTH_DETAILS,
           source="health_details", doc="One account's health details (the explain section)."),
    Result("health_histogram", ("as_of",), (
        TIER, _c("bin_from", "スコア帯（下限）", "Score from", "int", "health"),
        _c("accounts", "顧客数", "Accounts", "int", "health")), source="accounts",
           doc="Scored accounts per tier in 5-point bins (the health distribution)."),
    Result("explain_choices", ("as_of",), (
        ACCOUNT_ID, NAME, MRR, SCORE, BAND, CHANGE, _c("label", "顧客", "Account"),
        _c("scored", "スコアのある顧客数", "Scored accounts", "int", "health")), source="accounts",
           defaults={"limit": 1000}, doc="The accounts the explain section offers, lowest scores first."),
    Result("tier_accounts", ("as_of", "tier"), (
        ACCOUNT_ID, NAME, MRR, SCORE, BAND, CHANGE, OWNER, PLAN, RENEWAL, DAYS_SINCE_CONTACT), source="accounts",
           doc="The accounts of one tier (the Tiers page's list)."),
    Result("tier_health_mix", ("as_of",), (TIER, BAND, _c("accounts", "顧客数", "Accounts", "int", "health")),
           source="accounts"),
    Result("lowest_health", ("as_of",), (
        ACCOUNT_ID, NAME, TIER, MRR, SCORE, BAND, CHANGE, REASON_MEASURE, REASON_VALUE, OWNER), source="accounts",
           doc="The 30 lowest health scores with the measure that pulls each down most."),
    Result("health_scores", ("as_of", "days"), (_c("day", "日付", "Day", "date"), ACCOUNT_ID, SCORE, BAND)),
    Result("band_history", ("as_of", "days"), (
        _c("as_of", "日付", "Day", "date"), BAND, _c("accounts", "顧客数", "Accounts", "int", "health")),
           doc="Accounts per band on each day."),
    # One account, whole (the account page, `python -m dashboard account ID`)
    Result("account_profile", ("as_of", "account_id"), (
        ACCOUNT_ID, NAME, OWNER, PLAN, INDUSTRY, SEGMENT, _c("status", "ステータス", "Status"),
        _c("contract_start", "契約開始日", "Contract start", "date"), RENEWAL, _c("churn_date", "解約日", "Churn date", "date"),
        DAYS_TO_RENEWAL, MRR, _c("active", "契約中", "Customer", "text")), filters=False,
           doc="One account as the stores know it, a customer on the as-of day or not."),
    Result("account_mrr", ("as_of", "account_id"), (
        _c("month", "月", "Month", "month"), MRR, _c("movement", "増減", "Movement", definition="movements"),
        _c("amount", "増減額", "Change", "money", "movements"), _c("fx", "為替変動", "FX", "money", "movements")),
           filters=False, doc="One account's MRR at each month's end and the month's movement (its rows of "
                              "mrr_movements)."),
    Result("account_usage", ("as_of", "account_id"), (
        _c("month", "月", "Month", "month"), _c("measure", "測定項目", "Measure"), _c("value", "値", "Value", "float", "health")),
           filters=False, doc="One account's usage per measure and month."),
    Result("account_touchpoints", ("as_of", "account_id"), (
        _c("date", "日付", "Date", "date"), _c("kind", "種別", "Kind"), OWNER, _c("note", "メモ", "Note")),
           filters=False, doc="One account's touchpoints, newest first."),
    Result("account_opportunities", ("as_of", "account_id"), (
        _c("created", "作成日", "Created", "date"), _c("closed", "完了日", "Closed", "date"), _c("kind", "種別", "Kind"),
        _c("stage", "フェーズ", "Stage"), _c("amount", "商談金額", "Deal amount", "money", "upsell")), filters=False,
           doc="One account's deals, newest first."),
    Result("account_search", ("needle",), (ACCOUNT_ID, NAME, MRR), filters=False,
           doc="Accounts whose id or name contains the text (the sidebar's search)."),
    Result("score_history", ("as_of", "days", "account_id"), (
        _c("day", "日付", "Day", "date"), ACCOUNT_ID, SCORE, BAND), doc="One account's score on each day."),
    Result("health_validation", ("as_of", "days", "horizon_days"), defaults={"horizon_days": 90}),
    Result("health_validation_bands", ("as_of", "days", "horizon_days"), (
        BAND, _c("accounts", "顧客数", "Accounts", "int", "health_validation"),
        _c("churned", "90日以内の解約", "Churned within 90 days", "int", "health_validation"),
        _c("churn_rate_90d", "90日解約率", "90-day churn rate", "pct", "health_validation")),
           defaults={"horizon_days": 90}),
    Result("health_validation_auc", ("as_of", "days", "horizon_days"), (
        _c("measure", "測定項目", "Measure", definition="health"),
        _c("auc", "ROC AUC", "ROC AUC", "float", "health_validation")), defaults={"horizon_days": 90}),
    Result("health_validation_score_auc", ("as_of", "days", "horizon_days"), (
        _c("accounts", "顧客数", "Accounts", "int", "health_validation"),
        _c("churned", "90日以内の解約", "Churned within 90 days", "int", "health_validation"),
        _c("auc", "スコアのROC AUC", "Score's ROC AUC", "float", "health_validation")), defaults={"horizon_days": 90},
           doc="How well the health score separates the churned from the stayed over the past days (one row)."),
    Result("usage_measures", (), (_c("measure", "測定項目", "Measure", definition="health"),), filters=False,
           doc="The measures of the loaded usage (one per imported usage column)."),
    Result("d2c_customers", ("as_of", "horizon_days", "from"), filters=False,
           doc="Customers of the orders file are not accounts: the account filters do not apply."),
    Result("d2c_channels", ("as_of", "horizon_days", "from"), (
        _c("channel", "初回購入チャネル", "First-order channel"), _c("customers", "顧客数", "Customers", "int", "d2c"),
        _c("orders", "注文数", "Orders", "int", "d2c"), _c("revenue", "売上", "Revenue", "money", "d2c"),
        _c("aov", "AOV", "AOV", "money", "d2c"), _c("repeat_rate", "リピート率", "Repeat rate", "pct", "d2c"),
        _c("revenue_per_customer", "顧客あたり売上（LTV）", "Revenue per customer (LTV)", "money", "d2c")),
        filters=False, defaults={"from": dt.date(1900, 1, 1)},
        doc="Customers of the orders file are not accounts: the account filters do not apply."),
    Result("d2c_cohorts", ("as_of", "from"), filters=False,
           doc="Customers of the orders file are not accounts: the account filters do not apply."),
    Result("accounts_without_mrr", ("as_of",), (
        ACCOUNT_ID, NAME, OWNER, _c("mrr", "月額（取引先ファイル）", "MRR (accounts file)", "money", "mrr"),
        _c("contract_start", "契約開始日", "Contract start", "date")), filters=False,
        doc="Accounts of the accounts file with no row in the MRR history: not counted in any figure while "
            "a history is loaded (said on the Overview). Without a history, none."),
    # The accounts behind a figure (DRILLS below): one list per figure, its rows summing to the figure.
    Result("active_summary", ("as_of",), (
        _c("accounts", "有効顧客数", "Active accounts", "int", "active_accounts"), MRR,
        _c("red_share", "レッドのMRR比率", "Red share of MRR", "pct", "red_share")), source="accounts",
           doc="The Overview's cards: active accounts, their MRR, the red accounts' share of it."),
    Result("movement_accounts", ("as_of", "month"), (
        ACCOUNT_ID, NAME, OWNER, PLAN, _c("movement", "増減", "Movement", definition="movements"),
        _c("prev", "前月末MRR", "MRR before", "money", "movements"),
        _c("cur", "月末MRR", "MRR after", "money", "movements"),
        _c("amount", "増減額", "Change", "money", "movements"), _c("fx", "為替変動", "FX", "money", "movements"),
        _c("year_ago", "12か月前のMRR", "MRR 12 months before", "money", "nrr"),
        _c("retained", "継続分（GRR）", "Retained (GRR)", "money", "nrr")),
           doc="The accounts behind one month of the MRR movements."),
    Result("churn_accounts", ("as_of", "start", "grain", "period_start"), (
        ACCOUNT_ID, NAME, OWNER, PLAN, _c("mrr_start", "期首時点のMRR", "MRR at the period start", "money", "churned_mrr"),
        _c("churned", "解約", "Churned", "flag", "customer_churn"),
        _c("churn_date", "解約日", "Churn date", "date", "customer_churn"),
        _c("mrr_last", "解約時のMRR", "MRR when churned", "money", "churned_mrr")),
           doc="The accounts behind one period of churn: the customers at its start, churned first."),
    Result("cohort_accounts", ("as_of", "cohort", "k"), (
        ACCOUNT_ID, NAME, OWNER, PLAN, _c("cohort_mrr", "開始月のMRR", "MRR in the cohort month", "money", "cohorts"),
        _c("mrr_k", "経過月のMRR", "MRR k months later", "money", "cohorts"),
        _c("active_k", "継続", "Retained", "flag", "cohorts")),
           doc="The accounts of one cohort and their MRR k months later."),
    Result("coverage_accounts", ("as_of",), (
        ACCOUNT_ID, NAME, TIER, OWNER, MRR, SCORE, BAND, LAST_CONTACT, DAYS_SINCE_CONTACT,
        _c("contacted_90d", "90日以内に接触", "Contacted in 90 days", "flag", "coverage")), source="accounts",
           doc="Active accounts with whether they were contacted in the last 90 days (coverage's accounts)."),
    Result("score_bin_accounts", ("as_of",), (
        NAME, TIER, OWNER, MRR, SCORE, BAND, _c("bin_from", "スコア帯（下限）", "Score from", "int", "health"), ACCOUNT_ID),
        source="accounts", doc="The scored accounts with their 5-point score bin (the health distribution's accounts)."),
    Result("upsell_accounts", ("as_of", "start", "grain", "period_start"), (
        ACCOUNT_ID, NAME, TIER, OWNER, PLAN, _c("upsell", "アップセル", "Upsell", "flag", "upsell"),
        _c("cross_sell", "クロスセル", "Cross-sell", "flag", "upsell")),
           doc="The accounts active at one period's start and whether they won an upsell or cross-sell."),
    Result("data_bounds", (), filters=False),
    Result("filter_values", (), filters=False),
]}


# -- Drill-downs: from a figure to the accounts behind it ----------------------------------------------------
@dataclass(frozen=True)
class Total:
    """How one figure is made from the rows of its drill-down list: their count, the sum of a column, or one
    total divided by another (a rate); ``where`` keeps only the rows whose column holds one of the values."""
    agg: str  # count | sum | rate
    column: str | None = None
    where: tuple[str, tuple] | None = None
    of: tuple[Total, Total] | None = None  # a rate's numerator and denominator
    rows: str = "denominator"  # a rate lists its denominator's rows (who was counted, the flag telling which
    # made the numerator: the uncontacted beside the contacted), or only its numerator's


def count(where: tuple[str, tuple] | None = None) -> Total:
    return Total("count", where=where)


def total(column: str, where: tuple[str, tuple] | None = None) -> Total:
    return Total("sum", column, where)


def rate(numerator: Total, denominator: Total, rows: str = "denominator") -> Total:
    return Total("rate", of=(numerator, denominator), rows=rows)


@dataclass(frozen=True)
class Drill:
    """One figure's drill-down: the result listing the accounts behind each of its rows. ``keys`` are the
    figure's columns naming a row; each becomes a parameter of ``result`` when it takes one, else keeps the
    list's rows equal on that column (a blank equals the key "none"). ``totals`` says how each of the
    figure's columns is made from the list (tests/test_drill.py checks every one against the figure)."""
    figure: str
    result: str
    keys: tuple[str, ...]
    totals: dict[str, Total]
    show: tuple[str, ...]  # the list's columns, in order
    optional: tuple[str, ...] = ()  # of those, shown only for a figure made from them (fx for the fx movement)


YES = (True,)
AT_START, AT_END, YEAR_AGO = ("at_start", YES), ("at_end", YES), ("year_ago_paying", YES)
CHURNED, ACTIVE_K, CONTACTED = ("churned", YES), ("active_k", YES), ("contacted_90d", YES)

DRILLS: dict[str, Drill] = {d.figure: d for d in [
    Drill("mrr_movements", "movement_accounts", ("month",), {
        "start": total("prev", AT_START),
        **{m: total("amount", ("movement", (m,))) for m in ("new", "reactivation", "expansion", "contraction", "churn")},
        "fx": total("fx", ("fx_moved", YES)),
        "end": total("cur", AT_END),
        "accounts": count(AT_END),
        "gross_revenue_churn_rate": rate(total("amount", ("movement", ("churn", "contraction"))), total("prev", AT_START),
                                         rows="numerator"),
        "nrr_12m": rate(total("cur", YEAR_AGO), total("year_ago", YEAR_AGO)),
        "grr_12m": rate(total("retained", YEAR_AGO), total("year_ago", YEAR_AGO)),
    }, ("name", "owner", "movement", "prev", "cur", "amount", "fx", "year_ago", "retained", "account_id"),
        ("fx", "year_ago", "retained")),
    Drill("churn", "churn_accounts", ("period_start",), {
        "customers_at_start": count(),
        "customers_churned": count(CHURNED),
        "customer_churn_rate": rate(count(CHURNED), count()),
        "mrr_at_start": total("mrr_start"),
        "mrr_churned": total("mrr_last", CHURNED),
        "churned_mrr_rate": rate(total("mrr_last", CHURNED), total("mrr_start")),
    }, ("name", "owner", "plan", "churned", "churn_date", "mrr_start", "mrr_last", "account_id")),
    Drill("cohorts", "cohort_accounts", ("cohort", "k"), {
        "cohort_logos": count(),
        "logos_active": count(ACTIVE_K),
        "cohort_mrr": total("cohort_mrr"),
        "mrr_retained": total("mrr_k"),
        "logo_retention": rate(count(ACTIVE_K), count()),
        "revenue_retention": rate(total("mrr_k"), total("cohort_mrr")),
    }, ("name", "owner", "plan", "active_k", "cohort_mrr", "mrr_k", "account_id")),
    Drill("active_summary", "accounts", (), {
        "accounts": count(),
        "mrr": total("mrr"),
        "red_share": rate(total("mrr", ("band", ("red",))), total("mrr"), rows="numerator"),
    }, ("name", "tier", "owner", "mrr", "score", "band", "renewal_date", "account_id")),
    Drill("tier_summary", "tier_accounts", ("tier",), {
        "accounts": count(),
        "mrr": total("mrr"),
        "arpa": rate(total("mrr"), count()),
    }, ("name", "owner", "mrr", "score", "band", "plan", "renewal_date", "account_id")),
    Drill("tier_health_mix", "tier_accounts", ("tier", "band"), {
        "accounts": count(),
    }, ("name", "owner", "mrr", "score", "band", "renewal_date", "account_id")),
    Drill("health_histogram", "score_bin_accounts", ("tier", "bin_from"), {
        "accounts": count(),
    }, ("name", "tier", "owner", "mrr", "score", "band", "account_id")),
    Drill("renewals_summary", "renewals_due", ("within_days", "band"), {
        "accounts": count(),
        "mrr": total("mrr"),
    }, ("name", "tier", "owner", "mrr", "renewal_date", "days_to_renewal", "score", "band", "account_id")),
    Drill("coverage_by_owner", "coverage_accounts", ("owner",), {
        "active_accounts": count(),
        "contacted_90d": count(CONTACTED),
        "coverage": rate(count(CONTACTED), count()),
    }, ("name", "tier", "owner", "mrr", "contacted_90d", "last_contact", "days_since_contact", "account_id")),
    Drill("upsell_rates", "upsell_accounts", ("period_start", "tier"), {
        "accounts_at_start": count(),
        "upsell_accounts": count(("upsell", YES)),
        "upsell_rate": rate(count(("upsell", YES)), count()),
        "cross_sell_accounts": count(("cross_sell", YES)),
        "cross_sell_rate": rate(count(("cross_sell", YES)), count()),
    }, ("name", "tier", "owner", "plan", "upsell", "cross_sell", "account_id")),
]}

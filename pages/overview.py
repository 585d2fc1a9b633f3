"""Overview for executives: KPI cards with the change against the previous period, MRR trend, movements, tier mix."""

import streamlit as st

from dashboard import figures, money, periods, ui, views, worklog
from dashboard.i18n import integer, pct, points

st.title(ui.t("page_overview"))
f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    ui.empty_state(user)
    st.stop()

k = views.kpis(ui.q, f.as_of, f.start)  # every card over the sidebar's filters
month = ui.t("month_label", y=k["churn_month"].year, m=k["churn_month"].month) if k["churn_month"] else "—"
cards = st.columns(4)
cards[0].metric(ui.t("kpi_active"), integer(k["active"]), delta=integer(k["active_delta"]),
                help=ui.help_for("active_accounts"), border=True)
with cards[0]:
    ui.drill_link("active_summary", "accounts")
mrr, mrr_delta = money.card_with_delta(k["mrr"], k["mrr_delta"], lang)
cards[1].metric(ui.t("kpi_mrr"), mrr, delta=mrr_delta, help=f'{money.fmt(k["mrr"])} — {ui.help_for("mrr")}', border=True)
with cards[1]:
    ui.drill_link("active_summary", "mrr")
arr, arr_delta = money.card_with_delta(k["mrr"] * 12, k["mrr_delta"] * 12, lang)
cards[2].metric(ui.t("kpi_arr"), arr, delta=arr_delta, help=ui.help_for("mrr"), border=True)
cards[3].metric(ui.t("kpi_nrr"), pct(k["nrr"]), delta=points(k["nrr_delta"]), help=ui.help_for("nrr"), border=True)
if k["movement_month"] is not None:
    with cards[3]:
        ui.drill_link("mrr_movements", "nrr_12m", {"month": k["movement_month"]}, {"from_month": k["movement_month"]})
cards = st.columns(4)
cards[0].metric(ui.t("kpi_churn", month=month), pct(k["churn_rate"], 2), delta=points(k["churn_rate_delta"], 2),
                delta_color="inverse", help=ui.help_for("customer_churn"), border=True)
if k["churn_month"] is not None:
    with cards[0]:
        ui.drill_link("churn", "customer_churn_rate", {"period_start": k["churn_month"]},
                      {"start": periods.add_months(k["churn_month"], -1)})
cards[1].metric(ui.t("kpi_rev_churn", month=month), pct(k["gross_revenue_churn"], 2),
                delta=points(k["gross_revenue_churn_delta"], 2),
                delta_color="inverse", help=ui.help_for("revenue_churn"), border=True)
if k["movement_month"] is not None:
    with cards[1]:
        ui.drill_link("mrr_movements", "gross_revenue_churn_rate", {"month": k["movement_month"]},
                      {"from_month": k["movement_month"]})
cards[2].metric(ui.t("kpi_red_share"), pct(k["red_share"]), delta=points(k["red_share_delta"]), delta_color="inverse",
                help=ui.help_for("red_share"), border=True)
if k["red_share"] is not None:
    with cards[2]:
        ui.drill_link("active_summary", "red_share")
cards[3].metric(ui.t("kpi_renewals"), integer(k["renewals"]), delta=money.compact(k["renewals_mrr"], lang),
                delta_color="off", delta_arrow="off", delta_description="MRR", help=ui.help_for("renewals"),
                border=True)
with cards[3]:
    ui.drill_link("renewals_summary", "accounts", {"within_days": 90})
st.caption(ui.t("vs_prev_month"))
missing = ui.q("accounts_without_mrr", as_of=f.as_of)
if len(missing):  # counted nowhere while an MRR history is loaded: said, never silent
    with st.expander(ui.t("accounts_without_mrr", n=integer(len(missing))), icon=":material/warning:"):
        st.caption(ui.t("accounts_without_mrr_help"))
        ui.table(missing, "accounts_without_mrr")

movements = ui.q("mrr_movements", as_of=f.as_of, from_month=f.start.replace(day=1))
left, right = st.columns([3, 2])
with left:
    if len(movements):
        title = ui.t("mrr_trend", start=f"{f.start:%Y/%m}", end=f"{f.as_of:%Y/%m}")
        ui.chart(ui.figure(figures.mrr_trend, movements, title, lang), movements[["month", "end", "accounts"]], "mrr_trend",
                 drill=("mrr_movements", {}))
with right:
    summary = ui.q("tier_summary", as_of=f.as_of)
    ui.chart(ui.figure(figures.tier_mix, summary, ui.t("tier_mix", date=f"{f.as_of:%Y/%m/%d}"), lang), summary, "tier_mix")

if k["movement_month"] is not None:
    row = movements[movements["month"] == k["movement_month"]].iloc[0]
    title = ui.t("waterfall", month=ui.t("month_label", y=row["month"].year, m=row["month"].month))
    ui.chart(ui.figure(figures.waterfall, row, title, lang), movements, "mrr_waterfall", drill=("mrr_movements", {}))
    st.caption(ui.t("waterfall_note"))

st.subheader(ui.t("at_risk_title"))
work = worklog.state(ui.db())  # read on every run: recording work is no new data version
aside = views.calls_now(ui.q, work, f.as_of, ui.today())[1]
calls = views.localize_work(worklog.with_work(ui.q("call_list", as_of=f.as_of, lang=lang, limit=20,
                                                   exclude=tuple(sorted(aside["account_id"]))), work), lang)
columns = ["name", "mrr", "score", "next_action", "reasons", "work_status", "tier", "owner", "days_to_renewal"]
ui.table(calls, "at_risk", columns)
st.page_link(st.session_state["_pages"]["accounts"], label=ui.t("all_calls"), icon=":material/arrow_forward:")
ui.definitions(["active_accounts", "mrr", "customer_churn", "revenue_churn", "nrr", "red_share", "renewals", "movements"])

"""Churn: customer and revenue churn by period with the counts behind each rate, movements, NRR/GRR, cohorts, segments."""

import streamlit as st

from dashboard import figures, schema, ui

st.title(ui.t("page_churn"))
f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    ui.empty_state(user)
    st.stop()

grains = ["day", "week", "month", "quarter", "fiscal_year"]
grain = st.segmented_control(ui.t("grain"), grains, default="month", format_func=lambda g: ui.t(f"grain_{g}"),
                             key="churn_grain") or "month"
churn = ui.q("churn", as_of=f.as_of, grain=grain, start=f.start)
tick = "%Y/%m/%d" if grain in ("day", "week") else "%Y/%m"
left, right = st.columns(2)
with left:
    ui.chart(ui.figure(figures.churn_rates, churn, ui.t("churn_rates", grain=ui.t(f"grain_{grain}")), lang, tick), churn, "churn_rates",
             drill=("churn", {"grain": grain}))
with right:
    ui.chart(ui.figure(figures.churn_counts, churn, ui.t("churn_counts"), lang, tick), churn, "churn_counts",
             drill=("churn", {"grain": grain}))

movements = ui.q("mrr_movements", as_of=f.as_of, from_month=f.start.replace(day=1))
if len(movements):
    left, right = st.columns(2)
    with left:
        ui.chart(ui.figure(figures.movements_bars, movements, ui.t("movements_table"), lang), movements, "mrr_movements",
                 drill=("mrr_movements", {}))
    with right:
        rates = {"gross_revenue_churn_rate": ui.t("gross_revenue_churn"), "net_revenue_churn_rate": ui.t("net_revenue_churn")}
        ui.chart(ui.figure(figures.lines, movements, "month", rates, ui.t("revenue_churn_title")),
                 movements[["month", *rates]], "revenue_churn")
    left, right = st.columns(2)
    with left:
        ui.chart(ui.figure(figures.lines, movements, "month", {"nrr_12m": "NRR", "grr_12m": "GRR"}, ui.t("nrr_grr")),
                 movements[["month", "nrr_12m", "grr_12m"]], "nrr_grr")
    with right:
        segment = st.selectbox(ui.t("segment_by"), [c for c in schema.SEGMENT_COLUMNS if c != "tier"],
                               format_func=ui.column_label, key="churn_segment")
        by_segment = ui.q("churn", as_of=f.as_of, grain="month", start=f.start, segment_by=segment)
        ui.chart(ui.figure(figures.segment_rates, by_segment, ui.t("by_segment", column=ui.column_label(segment))), by_segment, "churn_by_segment")

cohorts = ui.q("cohorts", as_of=f.as_of, from_month=f.start.replace(day=1))
if len(cohorts):
    ui.chart(ui.figure(figures.cohort_heatmap, cohorts, "logo_retention", ui.t("cohort_logo"), lang, drillable=True),
             cohorts, "cohort_logos", drill=("cohorts", {}))
    ui.chart(ui.figure(figures.cohort_heatmap, cohorts, "revenue_retention", ui.t("cohort_revenue"), lang, drillable=True),
             cohorts, "cohort_revenue", drill=("cohorts", {}))

ui.definitions(["customer_churn", "churned_mrr", "revenue_churn", "movements", "nrr", "cohorts"])

"""D2C: repeat purchase from the orders file — AOV, repeat rate and LTV over a horizon, the purchase-count
distribution, first-purchase cohorts and channels. The simulator's calibration reads the same results."""

import pandas as pd
import streamlit as st

from dashboard import figures, money, ui

st.title(ui.t("page_d2c"))
f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    ui.empty_state(user)
    st.stop()
if "orders" not in ui.q("loaded"):
    st.info(ui.t("no_orders"), icon=":material/info:")
    st.stop()
ui.filter_note("d2c_summary")

# the horizon's four options on a row of their own: in a column at 1024 px they were cut to "ys | 180 days"
horizon = st.segmented_control(ui.t("d2c_horizon"), [90, 180, 365, 730], default=365, key="d2c_horizon",
                               format_func=lambda d: ui.t("within_days_label", days=d)) or 365
mature = st.toggle(ui.t("d2c_mature_only"), key="d2c_mature", help=ui.t("d2c_mature_help"))
summary = ui.q("d2c_summary", as_of=f.as_of, horizon_days=horizon, mature_only=mature)
if not summary:
    st.info(ui.t("d2c_no_customers"))
    st.stop()

# three cards and two: five in one row at 1024 px cut the LTV to "¥11,…" and broke "Custom ers"
cards = [*st.columns(3), *st.columns([1, 1, 1])[:2]]
cards[0].metric(ui.t("d2c_customers"), f"{summary['customers']:,}", border=True,
                help=ui.t("d2c_mature_count", n=f"{summary['mature_customers']:,}"))
cards[1].metric("AOV", money.card(summary["aov"], lang), border=True, help=ui.help_for("d2c"))
cards[2].metric(ui.t("sim_repeat_rate"), f"{summary['repeat_rate']:.1%}", border=True)
cards[3].metric(ui.t("sim_purchases_per_customer"), f"{summary['purchases_per_customer']:.2f}", border=True)
cards[4].metric(ui.t("d2c_ltv", days=horizon), money.card(summary["ltv"], lang), border=True, help=ui.help_for("d2c"))

left, right = st.columns(2)
with left:
    dist = summary["purchase_distribution_fine"]
    ui.chart(ui.figure(figures.purchase_distribution, dist, ui.t("d2c_distribution", days=horizon), lang),
             pd.DataFrame({"purchases": list(dist), "share": list(dist.values())}), "d2c_distribution")
with right:
    channels = ui.q("d2c_channels", as_of=f.as_of, horizon_days=horizon)
    if len(channels) > 1 or (len(channels) and channels["channel"].iloc[0] != "(none)"):
        ui.chart(ui.figure(figures.d2c_channels, channels, ui.t("d2c_channels_title", days=horizon), lang), channels,
                 "d2c_channels")
    else:
        st.info(ui.t("d2c_no_channel"))
if len(channels):
    ui.table(channels, "d2c_channels")

cohorts = ui.q("d2c_cohorts", as_of=f.as_of, **{"from": f.start.replace(day=1)})
if len(cohorts):
    title = ui.t("d2c_cohorts_title", start=f"{f.start:%Y/%m}", end=f"{f.as_of:%Y/%m}")
    ui.chart(ui.figure(figures.cohort_heatmap, cohorts, "cumulative_revenue_per_customer", title, lang, amounts=True),
             cohorts, "d2c_cohorts")
    st.caption(ui.t("d2c_cohorts_note"))
st.page_link(st.session_state["_pages"]["simulator"], label=ui.t("d2c_to_simulator"), icon=":material/calculate:")
ui.definitions(["d2c"])

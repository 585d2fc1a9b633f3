"""LTV/CPA simulator: what-if drivers, calibration from the data, sensitivity, scenarios saved and shared by URL."""

import pandas as pd
import streamlit as st

from dashboard import calibration, figures, money, scenarios, simulator, ui
from dashboard.definitions import DEFINITIONS

st.title(ui.t("page_simulator"))
f, user, lang = ui.filters(), ui.user(), ui.lang()
DEFAULTS, RANGES = simulator.DRIVER_DEFAULTS, simulator.DRIVER_RANGES

# Drivers live in the session; a shared URL (?sim_aov=...) fills them on first load, each kept in its range.
missing = [key for key in DEFAULTS if f"sim_{key}" not in st.session_state]
if missing:
    values, adjusted = simulator.drivers_from({key: st.query_params.get(f"sim_{key}") for key in missing})
    for key in missing:
        st.session_state[f"sim_{key}"] = values[key]
    if adjusted:
        st.toast(ui.t("link_values_adjusted", keys=simulator.driver_labels(adjusted, lang)), icon=":material/info:")
loaded = st.session_state.pop("_sim_loaded", None)
if loaded:
    st.toast(ui.t("scenario_loaded", name=loaded), icon=":material/folder_open:")


def calibrate():
    """Fill drivers from the loaded data (button callback); the facts they came from are kept to be shown."""
    d2c = ui.q("d2c_drivers", as_of=f.as_of) if f else None
    saas = ui.q("saas_drivers", as_of=f.as_of) if f else None
    if d2c:
        st.session_state["sim_aov"] = int(round(d2c["aov"]))
        st.session_state["sim_purchases"] = ",".join(f"{k:g}:{v:.3f}" for k, v in d2c["purchases"].items())
    if saas:
        st.session_state["sim_arpa"] = int(round(saas["arpa"]))
        if saas["monthly_churn"] is not None:
            st.session_state["sim_churn"] = round(saas["monthly_churn"] * 100, 2)
            st.session_state["sim_cschurn"] = round(saas["monthly_churn"] * 100, 2)
        st.session_state["sim_survival"] = saas["survival"]
    st.session_state["sim_sources"] = {"d2c": d2c, "saas": saas}


def load_scenario(name: str, state: dict) -> None:
    """Fill every driver from a saved scenario (button callback: before the widgets are drawn)."""
    values, _ = simulator.drivers_from(state)
    for key, value in values.items():
        st.session_state[f"sim_{key}"] = value
    st.session_state.pop("sim_buckets", None)  # the table's edits were made to the drivers before
    st.session_state.pop("sim_sources", None)  # the drivers no longer come from the data
    st.session_state["_sim_loaded"] = name


st.button(ui.t("calibrate"), on_click=calibrate, icon=":material/auto_fix_high:", disabled=f is None)
sources = st.session_state.get("sim_sources")
if sources and (sources.get("d2c") or sources.get("saas")):
    with st.expander(ui.t("calibrated_from"), expanded=True):
        for name, source in calibration.sources(sources.get("d2c"), sources.get("saas"), lang):
            st.markdown(f"- **{name}**: {source}")

def _sync_url() -> dict:
    """The URL always reopens this state."""
    state = {k: st.session_state[f"sim_{k}"] for k in DEFAULTS}
    for key, value in state.items():
        if st.query_params.get(f"sim_{key}") != str(value):
            st.query_params[f"sim_{key}"] = str(value)
    return state


# Switching tabs reruns the page: the tabs' fragments rerun alone when a driver moves, and the share link and
# the scenario to save on the last tab must be those of the drivers as they are now.
tab_d2c, tab_saas, tab_cs, tab_renew, tab_scen = st.tabs(
    [ui.t("sim_d2c"), ui.t("sim_saas"), ui.t("sim_cs"), ui.t("sim_renewal"), ui.t("scenarios")],
    key="sim_tab", on_change="rerun")

@st.fragment
def _d2c_tab():
    """Reruns alone when one of its drivers moves (the rest of the page stays)."""
    c1, c2 = st.columns([1, 1])
    with c1:
        aov = st.slider(ui.t("sim_aov", cur=money.current().symbol), *RANGES["aov"], step=100, key="sim_aov",
                        format="localized")  # 8,000 not 8000
        buckets = pd.DataFrame([{"purchases": k, "share": v * 100}
                                for k, v in simulator.parse_purchases(st.session_state["sim_purchases"]).items()])
        edited = st.data_editor(buckets, num_rows="dynamic", hide_index=True, key="sim_buckets", column_config={
            "purchases": st.column_config.NumberColumn(ui.t("sim_purchases"), min_value=1.0, step=0.5),
            "share": st.column_config.NumberColumn(ui.t("sim_share_of_customers"), min_value=0.0,
                                                   max_value=100.0, step=1.0)})
        edited = edited.dropna()
        purchases = {float(r.purchases): float(r.share) / 100 for r in edited.itertuples()} or {1.0: 1.0}
        st.session_state["sim_purchases"] = ",".join(f"{k:g}:{v:g}" for k, v in purchases.items())
        margin = st.slider(ui.t("sim_gross_margin"), *RANGES["margin"], key="sim_margin")
        conv = st.slider(ui.t("sim_sign_up_first_purchase"), *RANGES["conv"], key="sim_conv")
        roas = st.slider(ui.t("sim_target_return_1_0_break_even"), *RANGES["roas"], step=0.1,
                         key="sim_roas")
    if sum(purchases.values()) <= 0:  # the model cannot weigh purchases by shares that add up to nothing
        st.error(ui.t("sim_shares_zero"))
        _sync_url()
        return
    r = simulator.d2c(aov, purchases, margin / 100, conv / 100, roas)
    with c2:
        if abs(r["shares_total"] - 1) > 1e-6:
            st.warning(ui.t("sim_shares_normalised", total=f"{r['shares_total']:.0%}"))
        m1 = m2 = st.container()
        m1.metric(ui.t("sim_purchases_per_customer"), f"{r['purchases_per_customer']:.2f}", border=True)
        m2.metric(ui.t("sim_ltv_revenue"), money.fmt(r["ltv"]), border=True)
        m1.metric(ui.t("sim_gross_profit_ltv"), money.fmt(r["gross_profit_ltv"]), border=True)
        m2.metric(ui.t("sim_allowable_cpa"), money.fmt(r["allowable_cpa"]), border=True)
        m1.metric(ui.t("sim_allowable_cost_per_sign_up"), money.fmt(r["allowable_cost_per_lead"]),
                  border=True)
    actual = ui.q("d2c_summary", as_of=f.as_of) if f else None
    if actual:  # the orders themselves have their own page; here the figures the sliders started from
        st.caption(ui.t("sim_actual_summary", n=f"{actual['customers']:,}", aov=money.fmt(actual["aov"]),
                        repeat=f"{actual['repeat_rate']:.1%}", ltv=money.fmt(actual["ltv"])))
        st.page_link(st.session_state["_pages"]["d2c"], label=ui.t("sim_to_d2c"), icon=":material/shopping_cart:")
    rows = simulator.labelled(simulator.d2c_sensitivity(aov, purchases, margin / 100, roas), lang)
    ui.chart(ui.figure(figures.tornado, rows, ui.t("sensitivity"), lang=lang), pd.DataFrame(rows), "d2c_tornado")
    xs, ys = simulator.steps(aov), [m / 100 for m in simulator.steps(margin, 5, 0.4)]
    z = simulator.grid(simulator.d2c, "allowable_cpa", ("aov", xs), ("gross_margin", [min(y, 1) for y in ys]),
                       {"purchases": purchases, "target_roas": roas})
    ui.chart(ui.figure(figures.grid_heatmap, z, xs, ys, "AOV", ui.t("sim_margin"),
                                  ui.t("heatmap"), lang=lang),
         pd.DataFrame(z, columns=[round(x) for x in xs]).assign(gross_margin=ys), "d2c_heatmap")
    _sync_url()


with tab_d2c:
    _d2c_tab()

@st.fragment
def _saas_tab():
    """Reruns alone when one of its drivers moves (the rest of the page stays)."""
    c1, c2 = st.columns(2)
    with c1:
        arpa = st.number_input(ui.t("sim_arpa_month", cur=money.current().symbol), *RANGES["arpa"], step=1000, key="sim_arpa")
        churn = st.slider(ui.t("sim_monthly_churn"), *RANGES["churn"], step=0.1, key="sim_churn")
        smargin = st.slider(ui.t("sim_gross_margin"), *RANGES["smargin"], key="sim_smargin")
        cac = st.number_input(ui.t("sim_cac", cur=money.current().symbol), *RANGES["cac"], step=10_000, key="sim_cac")
    s = simulator.saas(arpa, churn / 100, smargin / 100, cac)
    with c2:
        m1 = m2 = st.container()
        m1.metric("LTV", money.fmt(s["ltv"]), border=True, help=ui.help_for("saas_ltv"))
        m2.metric("LTV / CAC", simulator.fmt_multiple(s["ltv_to_cac"] or None), border=True)
        m1.metric(ui.t("sim_cac_payback_months"), simulator.fmt_number(s["cac_payback_months"] or None),
                  border=True)
        m2.metric(ui.t("sim_expected_lifetime_months"), simulator.fmt_number(s["expected_lifetime_months"]),
                  border=True)
        survival = st.session_state.get("sim_survival")
        if survival:
            curve_ltv = simulator.saas_from_curve(arpa, survival, smargin / 100, churn / 100)
            st.metric(ui.t("sim_ltv_observed_retention_curve"), money.fmt(curve_ltv), border=True)
    rows = simulator.labelled(simulator.saas_sensitivity(arpa, churn / 100, smargin / 100), lang)
    ui.chart(ui.figure(figures.tornado, rows, ui.t("sensitivity_saas"), lang=lang),
             pd.DataFrame(rows), "saas_tornado")
    _sync_url()


with tab_saas:
    _saas_tab()

@st.fragment
def _cs_tab():
    """Reruns alone when one of its drivers moves (the rest of the page stays)."""
    c1, c2 = st.columns(2)
    with c1:
        cost = st.number_input(ui.t("sim_cost_of_a_rep_per_month", cur=money.current().symbol),
                               *RANGES["cost"], step=50_000, key="sim_cost")
        newmrr = st.number_input(ui.t("sim_new_mrr_a_rep_creates_per_month", cur=money.current().symbol),
                                 *RANGES["newmrr"], step=10_000, key="sim_newmrr")
        cschurn = st.slider(ui.t("sim_monthly_churn"), *RANGES["cschurn"], step=0.1, key="sim_cschurn")
        plan_mrr = st.number_input(ui.t("sim_plan_new_mrr_wanted_per_month", cur=money.current().symbol),
                                   *RANGES["plan"], step=50_000, key="sim_plan")
    c = simulator.cs_roi(cost, newmrr, cschurn / 100, plan_new_mrr=plan_mrr)
    with c2:
        st.metric(ui.t("sim_ltv_created_per_month"), money.fmt(c["ltv_created_per_month"]), border=True,
                  help=ui.help_for("cs_roi"))
        st.metric(ui.t("sim_roi_multiple_of_cost"), simulator.fmt_multiple(c["roi"] or None), border=True)
        if c.get("reps_needed") is not None:
            st.metric(ui.t("sim_reps_the_plan_needs"), simulator.fmt_number(c["reps_needed"]),
                      delta=ui.t("sim_reps_cost", cost=money.fmt(c["reps_needed"] * cost)),
                      delta_color="off", delta_arrow="off", border=True)
    _sync_url()


with tab_cs:
    _cs_tab()

@st.fragment
def _renewal_tab():
    """Reruns alone when one of its drivers moves (the rest of the page stays)."""
    c1, c2 = st.columns(2)
    with c1:
        acv = st.number_input(ui.t("sim_annual_contract_value", cur=money.current().symbol), *RANGES["acv"], step=100_000,
                              key="sim_acv")
        rate = st.slider(ui.t("sim_renewal_rate"), *RANGES["renew"], key="sim_renew")
        rmargin = st.slider(ui.t("sim_gross_margin"), *RANGES["rmargin"], key="sim_rmargin")
    rn = simulator.renewal(acv, rate / 100, rmargin / 100)
    base = simulator.renewal(acv, 0.10, rmargin / 100)
    with c2:
        st.metric(ui.t("sim_expected_contract_years"), simulator.fmt_number(rn["expected_years"], 2),
                  delta=ui.t("sim_vs_base_renewal", delta=f"{rn['expected_years'] - base['expected_years']:+,.2f}"),
                  border=True, help=ui.help_for("renewal"))
        st.metric(ui.t("sim_ltv_gross_profit"), money.fmt(rn["ltv"]),
                  delta=ui.t("sim_vs_base_renewal", delta=simulator.fmt_money_change(rn["ltv"] - base["ltv"], lang)),
                  border=True)
    _sync_url()


with tab_renew:
    _renewal_tab()

state = _sync_url()

with tab_scen:
    database = ui.db()
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input(ui.t("scenario_name"), key="scenario_name", max_chars=scenarios.MAX_NAME)
    # Viewers load and compare; saving is an editor's (scenarios.save checks it again, whoever calls).
    if c2.button(ui.t("save_scenario"), key="scenario_save", disabled=not user.can_edit,
                 help=None if user.can_edit else ui.t("scenario_viewer_cannot_save")):
        if not name.strip():
            st.warning(ui.t("scenario_name_needed"))
        else:
            st.toast(ui.t("scenario_saved", name=scenarios.save(database, name, state, by=user)),
                     icon=":material/save:")
    if not user.can_edit:
        st.caption(ui.t("scenario_viewer_cannot_save"))
    st.caption(ui.t("share_url"))
    params = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    st.code(simulator.share_link(st.context.url, st.session_state["_pages"]["simulator"].url_path, params),
            language=None, wrap_lines=True)
    saved = {scenario.name: scenario for scenario in scenarios.list_all(database)}
    if not saved:
        st.caption(ui.t("scenario_none"))
    else:
        c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
        pick = c1.selectbox(ui.t("scenario_saved_list"), list(saved), index=len(saved) - 1)
        c2.button(ui.t("scenario_load"), key="scenario_load", on_click=load_scenario,
                  args=(pick, saved[pick].state), icon=":material/folder_open:")
        if user.can_edit and c3.button(ui.t("scenario_delete"), key="scenario_delete", icon=":material/delete:"):
            scenarios.delete(database, pick, by=user)
            st.toast(ui.t("scenario_deleted", name=pick), icon=":material/delete:")
            st.rerun()
        st.caption(ui.t("scenario_saved_by", by=saved[pick].saved_by, at=f"{saved[pick].saved_at:%Y/%m/%d %H:%M}"))
        picks = st.multiselect(ui.t("compare"), list(saved), default=list(saved)[-2:], max_selections=2,
                               select_all=False)
        if picks:
            compared = {n: simulator.drivers_from(saved[n].state)[0] for n in picks}
            st.dataframe(simulator.comparison(compared, lang), width="stretch")

with st.expander(ui.t("formulas"), icon=":material/function:"):
    for key in ("d2c", "saas_ltv", "cs_roi", "renewal"):
        title, body = DEFINITIONS[key][lang]
        st.markdown(f"**{title}** — {body}")

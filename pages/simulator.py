"""LTV/CPA simulator: what-if drivers, calibration from the data, sensitivity, scenarios shared by URL."""

import pandas as pd
import streamlit as st

from dashboard import figures, money, simulator, ui
from dashboard.definitions import DEFINITIONS

st.title(ui.t("page_simulator"))
f, user, lang = ui.filters(), ui.user(), ui.lang()

DEFAULTS = {"aov": 8000, "purchases": "1:0.7,2:0.2,3.5:0.1", "margin": 50, "conv": 20, "roas": 1.0,
            "arpa": 100_000, "churn": 2.0, "smargin": 80, "cac": 1_000_000,
            "cost": 1_000_000, "newmrr": 130_000, "cschurn": 2.0, "acv": 1_200_000, "renew": 30, "rmargin": 80}
# Each driver's widget range, defined once: the widgets use it and a shared link is kept inside it.
RANGES = {"aov": (1000, 50000), "margin": (1, 100), "conv": (1, 100), "roas": (0.5, 5.0), "arpa": (1000, 10_000_000),
          "churn": (0.1, 20.0), "smargin": (1, 100), "cac": (0, 100_000_000), "cost": (0, 10_000_000),
          "newmrr": (0, 10_000_000), "cschurn": (0.1, 20.0), "acv": (0, 1_000_000_000), "renew": (0, 95),
          "rmargin": (1, 100)}


def _from_link(key: str, raw: str):
    """A driver from a shared URL, clamped to its widget's range; None when it cannot be read."""
    default = DEFAULTS[key]
    try:
        if key == "purchases":
            buckets = simulator.parse_purchases(raw)
            ok = buckets and all(k >= 1 and 0 <= v <= 1 for k, v in buckets.items()) and sum(buckets.values()) > 0
            return raw if ok else None
        value = float(raw)
    except ValueError:
        return None
    if value != value:  # NaN
        return None
    low, high = RANGES[key]
    return type(default)(min(max(value, low), high))


# Drivers live in the session; a shared URL (?sim_aov=...) fills them on first load.
adjusted = []
for key, default in DEFAULTS.items():
    if f"sim_{key}" not in st.session_state:
        raw = st.query_params.get(f"sim_{key}")
        value = _from_link(key, raw) if raw else default
        if raw and (value is None or str(value) != raw and not (key != "purchases" and float(value) == float(raw))):
            adjusted.append(key)
        st.session_state[f"sim_{key}"] = default if value is None else value
if adjusted:
    st.toast(ui.t("link_values_adjusted", keys=", ".join(adjusted)), icon=":material/info:")


def calibrate():
    """Fill drivers from the loaded data (button callback)."""
    d2c = ui.q("d2c_drivers", as_of=f.as_of) if f else None
    saas = ui.q("saas_drivers", as_of=f.as_of) if f else None
    sources = {}
    if d2c:
        st.session_state["sim_aov"] = int(round(d2c["aov"]))
        st.session_state["sim_purchases"] = ",".join(f"{k:g}:{v:.3f}" for k, v in d2c["purchases"].items())
        sources["AOV / purchases"] = d2c["source"]
    if saas:
        st.session_state["sim_arpa"] = int(round(saas["arpa"]))
        if saas["monthly_churn"] is not None:
            st.session_state["sim_churn"] = round(saas["monthly_churn"] * 100, 2)
            st.session_state["sim_cschurn"] = round(saas["monthly_churn"] * 100, 2)
        sources["ARPA / churn"] = saas["source"]
        st.session_state["sim_survival"] = saas["survival"]
    st.session_state["sim_sources"] = sources


st.button(ui.t("calibrate"), on_click=calibrate, icon=":material/auto_fix_high:", disabled=f is None)
if st.session_state.get("sim_sources"):
    with st.expander(ui.t("calibrated_from"), expanded=True):
        for name, source in st.session_state["sim_sources"].items():
            st.markdown(f"- **{name}**: {source}")

def _sync_url() -> dict:
    """The URL always reopens this state."""
    state = {k: st.session_state[f"sim_{k}"] for k in DEFAULTS}
    for key, value in state.items():
        if st.query_params.get(f"sim_{key}") != str(value):
            st.query_params[f"sim_{key}"] = str(value)
    return state


tab_d2c, tab_saas, tab_cs, tab_renew, tab_scen = st.tabs(
    [ui.t("sim_d2c"), ui.t("sim_saas"), ui.t("sim_cs"), ui.t("sim_renewal"), ui.t("scenarios")])

@st.fragment
def _d2c_tab():
    """Reruns alone when one of its drivers moves (the rest of the page stays)."""
    c1, c2 = st.columns([1, 1])
    with c1:
        aov = st.slider(ui.t("sim_aov", cur=money.current().symbol), *RANGES["aov"], step=100, key="sim_aov")
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
    try:
        r = simulator.d2c(aov, purchases, margin / 100, conv / 100, roas)
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
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
    rows = simulator.d2c_sensitivity(aov, purchases, margin / 100, roas)
    labels = {"aov": "AOV", "repeat": ui.t("sim_purchases"), "gross_margin": ui.t("sim_margin"),
              "target_roas": "ROAS"}
    for row in rows:
        row["driver"] = labels[row["driver"]]
    ui.chart(ui.figure(figures.tornado, rows, ui.t("sensitivity")), pd.DataFrame(rows), "d2c_tornado")
    xs, ys = simulator.steps(aov), [m / 100 for m in simulator.steps(margin, 5, 0.4)]
    z = simulator.grid(simulator.d2c, "allowable_cpa", ("aov", xs), ("gross_margin", [min(y, 1) for y in ys]),
                       {"purchases": purchases, "target_roas": roas})
    ui.chart(ui.figure(figures.grid_heatmap, z, xs, ys, "AOV", ui.t("sim_margin"),
                                  ui.t("heatmap")),
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
        m2.metric("LTV / CAC", f"{s['ltv_to_cac']:.1f}×" if s["ltv_to_cac"] else "—", border=True)
        m1.metric(ui.t("sim_cac_payback_months"),
                  f"{s['cac_payback_months']:.1f}" if s["cac_payback_months"] else "—", border=True)
        m2.metric(ui.t("sim_expected_lifetime_months"), f"{s['expected_lifetime_months']:.1f}", border=True)
        survival = st.session_state.get("sim_survival")
        if survival:
            curve_ltv = simulator.saas_from_curve(arpa, survival, smargin / 100, churn / 100)
            st.metric(ui.t("sim_ltv_observed_retention_curve"), money.fmt(curve_ltv), border=True)
    rows = simulator.saas_sensitivity(arpa, churn / 100, smargin / 100)
    ui.chart(ui.figure(figures.tornado, rows, ui.t("sensitivity_saas")),
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
        plan_mrr = st.number_input(ui.t("sim_plan_new_mrr_wanted_per_month", cur=money.current().symbol), 0,
                                   100_000_000, value=650_000, step=50_000, key="sim_plan")
    c = simulator.cs_roi(cost, newmrr, cschurn / 100, plan_new_mrr=plan_mrr)
    with c2:
        st.metric(ui.t("sim_ltv_created_per_month"), money.fmt(c["ltv_created_per_month"]), border=True,
                  help=ui.help_for("cs_roi"))
        st.metric(ui.t("sim_roi_multiple_of_cost"), f"{c['roi']:.1f}×" if c["roi"] else "—",
                  border=True)
        if c.get("reps_needed") is not None:
            st.metric(ui.t("sim_reps_the_plan_needs"), f"{c['reps_needed']:.1f}",
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
        st.metric(ui.t("sim_expected_contract_years"), f"{rn['expected_years']:.2f}",
                  delta=f"{rn['expected_years'] - base['expected_years']:+.2f} vs 10%", border=True,
                  help=ui.help_for("renewal"))
        st.metric(ui.t("sim_ltv_gross_profit"), money.fmt(rn["ltv"]),
                  delta=money.fmt(rn["ltv"] - base["ltv"]) + " vs 10%", border=True)
    _sync_url()


with tab_renew:
    _renewal_tab()

state = _sync_url()

with tab_scen:
    saved = st.session_state.setdefault("scenarios", {})
    c1, c2 = st.columns([3, 1])
    name = c1.text_input(ui.t("scenario_name"), key="scenario_name")
    if c2.button(ui.t("save_scenario")) and name:
        saved[name] = dict(state)
    st.caption(ui.t("share_url"))
    st.code("?" + "&".join(f"sim_{k}={v}" for k, v in state.items()), language=None)
    if saved:
        picks = st.multiselect(ui.t("compare"), list(saved), default=list(saved)[-2:], max_selections=2,
                               select_all=False)

        def summary(p):
            d = simulator.d2c(p["aov"], simulator.parse_purchases(p["purchases"]), p["margin"] / 100, p["conv"] / 100, p["roas"])
            sa = simulator.saas(p["arpa"], p["churn"] / 100, p["smargin"] / 100, p["cac"])
            return {"LTV (D2C)": d["ltv"], "CPA": d["allowable_cpa"], "LTV (SaaS)": sa["ltv"],
                    "LTV/CAC": sa["ltv_to_cac"], "CS ROI": simulator.cs_roi(p["cost"], p["newmrr"], p["cschurn"] / 100)["roi"],
                    "years": simulator.renewal(p["acv"], p["renew"] / 100)["expected_years"]}

        st.dataframe(pd.DataFrame({n: summary(saved[n]) for n in picks}), width="stretch")

with st.expander(ui.t("formulas"), icon=":material/function:"):
    for key in ("d2c", "saas_ltv", "cs_roi", "renewal"):
        title, body = DEFINITIONS[key][lang]
        st.markdown(f"**{title}** — {body}")

"""Tiers (Tier1–3): the rule in force, accounts and MRR, health and churn per tier, coverage, migration."""

import datetime as dt

import streamlit as st

from dashboard import figures, money, results, ui, views, workspace

st.title(ui.t("page_tiers"))
f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    ui.empty_state(user)
    st.stop()

rule = ui.q("tier_rule", as_of=f.as_of)
t1, t2 = rule["thresholds"]
with st.container(border=True):
    st.markdown(f"**{ui.t('tier_rule')}**: " + (
        ui.t("tier_rule_mrr", t1=money.fmt(t1), t2=money.fmt(t2), auto=ui.t("tier_rule_auto") if rule.get("auto") else "")
        if rule["rule"] == "mrr" else ui.t("tier_rule_manual")))
    if user.can_edit:
        with st.popover(ui.t("edit_thresholds"), icon=":material/edit:"):
            with st.form("thresholds"):
                new_rule = st.radio(ui.t("tier_rule"), ["mrr", "manual"], index=0 if rule["rule"] == "mrr" else 1,
                                    format_func=lambda r: "MRR" if r == "mrr" else ui.t("tier_rule_manual"))
                new_t1 = st.number_input(f"T1 ({money.current().symbol})", min_value=0, value=int(t1), step=10_000)
                new_t2 = st.number_input(f"T2 ({money.current().symbol})", min_value=0, value=int(t2), step=10_000)
                reset = st.checkbox(ui.t("reset_default"))
                if st.form_submit_button(ui.t("save"), type="primary"):
                    workspace.put_setting(ui.db(), "tier_rule", new_rule, by=user)
                    workspace.put_setting(ui.db(), "tier_thresholds", None if reset else sorted([new_t1, new_t2], reverse=True), by=user)
                    st.rerun()

summary = ui.q("tier_summary", as_of=f.as_of)
left, right = st.columns(2)
with left:
    ui.chart(ui.figure(figures.tier_bars, summary, ui.t("tier_accounts_mrr", date=f"{f.as_of:%Y/%m/%d}"), lang), summary, "tiers",
             drill=("tier_summary", {}))
with right:
    mix = ui.q("tier_health_mix", as_of=f.as_of)
    if len(mix):
        ui.chart(ui.figure(figures.stacked_bands, mix, "tier", ui.t("tier_health_mix"), lang), mix, "tier_health_mix",
                 drill=("tier_health_mix", {}))
    else:
        st.info(ui.t("no_health_measures"))

churn = ui.q("churn", as_of=f.as_of, grain="month", start=f.start, segment_by="tier")
ui.chart(ui.figure(figures.segment_rates, churn, ui.t("tier_churn")), churn, "tier_churn")

st.subheader(ui.t("tier_playbook"))
kpis = views.tier_kpis(ui.q, f.start, f.as_of)
kpis["coverage"] = kpis["coverage"].map(lambda c: ui.t(f"coverage_{c}"))
st.dataframe(kpis, hide_index=True, placeholder="", width="stretch", column_config={
    **ui.column_config("tier_summary"), **ui.column_config("tier_opportunities"),
    "coverage": st.column_config.TextColumn(ui.t("tier_coverage_model"), width="medium")})

default_from = max(f.start, f.as_of - dt.timedelta(days=365))
d1 = st.date_input(ui.t("migration_from"), value=default_from, max_value=f.as_of, format="YYYY/MM/DD", key="mig_from")
migration = ui.q("tier_migration", d1=d1, as_of=f.as_of)
left, right = st.columns([2, 3])
title = ui.t("tier_migration", d1=f"{d1:%Y/%m/%d}", d2=f"{f.as_of:%Y/%m/%d}")
with left:
    ui.chart(ui.figure(figures.migration_matrix, migration, title, lang), migration, "tier_migration")
with right:
    none = {"none": ui.t("tier_none")}
    st.dataframe(migration.replace({"tier_from": none, "tier_to": none}), hide_index=True, placeholder="", width="stretch", column_config={
        **ui.column_config("tier_migration"), "tier_from": f"{d1:%Y/%m/%d}", "tier_to": f"{f.as_of:%Y/%m/%d}"})

tier = st.segmented_control(ui.t("tier_filter"), list(results.scope.TIERS), default="Tier1", key="tier_list")
listing = ui.q("tier_accounts", as_of=f.as_of, tier=tier or "Tier1")
st.subheader(ui.t("tier_accounts", tier=tier or "Tier1"))
ui.table(views.localize_bands(listing, ui.t), "tier_accounts")
ui.definitions(["tiers", "tier_migration", "customer_churn", "health"])

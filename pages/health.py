"""Health: distribution by tier, measures and weights in force, band trend, lowest accounts, one account's why."""

import pandas as pd
import streamlit as st

from dashboard import figures, money, ui, views, workspace
from dashboard.i18n import measure_label
from dashboard.results import health_weights

st.title(ui.t("page_health"))
f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    ui.empty_state(user)
    st.stop()

config = ui.q("health_config")
if not config["measures"]:
    st.info(ui.t("no_health_measures"))
    st.stop()

# binned in SQL: the chart gets 60 rows at most, not a score per account
bins = ui.q("health_histogram", as_of=f.as_of)
title = ui.t("health_dist", date=f"{f.as_of:%Y/%m/%d}")
ui.chart(ui.figure(figures.health_histogram, bins, config["bands"], title, lang), bins, "health_distribution",
         drill=("health_histogram", {}))

with st.expander(ui.t("health_config"), icon=":material/tune:", expanded=False):
    # every loaded usage column can be a measure (add a row and pick it); days since contact with touchpoints
    choices = ui.q("usage_measures") + (["days_since_contact"] if "touchpoints" in ui.q("loaded") else [])
    table = pd.DataFrame(config["measures"])[["name", "weight", "method", "agg", "higher_is_better", "floor", "target"]]
    edited = st.data_editor(table, hide_index=True, width="stretch", disabled=not user.can_edit,
                            num_rows="dynamic" if user.can_edit else "fixed",
                            column_config={
                                "name": st.column_config.SelectboxColumn(ui.t("measure"), options=choices, required=True,
                                                                         format_func=lambda m: measure_label(m, lang)),
                                "weight": st.column_config.NumberColumn(ui.t("weight"), min_value=0.0, step=0.5, default=1.0),
                                "method": st.column_config.SelectboxColumn(ui.t("method"), options=["percentile", "linear"],
                                                                           default="percentile",
                                                                           format_func=lambda m: ui.t(f"method_{m}")),
                                "agg": st.column_config.SelectboxColumn(ui.t("agg"), options=["sum", "avg", "last"], default="sum",
                                                                        format_func=lambda a: ui.t(f"agg_{a}")),
                                "floor": st.column_config.NumberColumn(ui.t("measure_floor"), help=ui.t("measure_floor_help")),
                                "target": st.column_config.NumberColumn(ui.t("measure_target"), help=ui.t("measure_target_help")),
                                "higher_is_better": st.column_config.CheckboxColumn(ui.t("higher_is_better"), default=True),
                            }, key="health_editor")
    c1, c2, c3 = st.columns(3)
    window = c1.number_input(ui.t("window_days"), 7, 365, int(config["window_days"]), disabled=not user.can_edit)
    red = c2.number_input(ui.t("red"), 1, 99, int(config["bands"][0]), disabled=not user.can_edit)
    green = c3.number_input(ui.t("green"), 1, 100, int(config["bands"][1]), disabled=not user.can_edit)
    if user.can_edit and st.button(ui.t("save"), type="primary", key="save_health"):
        rows = [{k: (None if not isinstance(v, bool) and pd.isna(v) else v) for k, v in row.items()}
                for row in edited.to_dict("records") if row.get("name")]
        measures = health_weights.measures_from_rows(rows)
        with st.spinner(ui.t("saving")):  # the scores are worked out again: seconds on large data
            workspace.put_setting(ui.db(), "health", {**config, "measures": measures, "window_days": int(window),
                                      "bands": [float(min(red, green)), float(max(red, green))]}, by=user)
        ui.flash(ui.t("saved"))
        st.rerun()

history = views.band_history(ui.q, f.as_of, f.start)
ui.chart(ui.figure(figures.band_trend, history, ui.t("band_trend"), lang), history, "health_band_trend")

st.subheader(ui.t("lowest"))
lowest = views.localize_measures(views.localize_bands(ui.q("lowest_health", as_of=f.as_of), ui.t), "reason_measure", lang)
ui.table(lowest, "lowest_health")

st.subheader(ui.t("explain"))
# The lowest-scoring accounts first, at most 1,000 of them (result explain_choices: a 100k-entry list takes
# half a second to send on every rerun and nobody scrolls it; the sidebar's filters narrow it instead).
choices = ui.q("explain_choices", as_of=f.as_of)
scored = int(choices["scored"].iloc[0]) if len(choices) else 0
if scored > len(choices):
    st.caption(ui.t("explain_lowest_only", n=f"{len(choices):,}", total=f"{scored:,}"))
picked = st.selectbox(ui.t("choose_account"), choices["label"].tolist(), key="explain_account")
if picked is not None:
    row = choices[choices["label"] == picked].iloc[0]
    account = row["account_id"]
    mine = views.localize_measures(ui.q("account_health", as_of=f.as_of, account_id=account), "measure", lang)
    c1, c2, c3 = st.columns(3)
    c1.metric(ui.t("score"), f"{row['score']:.1f}", delta=None if pd.isna(row.get("change")) else f"{row['change']:+.1f}")
    c2.metric(ui.t("band"), ui.t(row["band"]))
    c3.metric("MRR", money.fmt(row['mrr']))
    left, right = st.columns(2)
    with left:
        ui.chart(ui.figure(figures.contributions, mine, picked, lang), mine, "health_explain")
        st.dataframe(views.explanation(mine, lang), hide_index=True, width="stretch", placeholder="", column_config={
            "measure": ui.t("measure"), "value": ui.t("value"),
            "measure_score": st.column_config.NumberColumn(ui.t("score"), format="%.0f"),
            "weight": st.column_config.NumberColumn(ui.t("weight"), format="%g"),
            "contribution": st.column_config.NumberColumn(ui.t("contribution"), format="%.1f")})
        if missing := views.no_data_measures(mine, lang):
            st.caption(ui.t("explain_no_data", measures=missing))
    with right:  # the same month ends as the band trend above, for this account
        own = ui.q("score_history", as_of=f.as_of, days=views.month_ends(f.start, f.as_of), account_id=account)
        ui.chart(ui.figure(figures.score_history, own, config["bands"], ui.t("score_history", name=row["name"] or account),
                           lang), own, "health_score_history")

with st.expander(ui.t("validation"), icon=":material/fact_check:"):
    check = ui.q("health_validation_summary", as_of=f.as_of)
    if len(check["bands"]):
        c1, c2 = st.columns(2)
        c1.dataframe(views.localize_bands(check["bands"], ui.t), hide_index=True, placeholder="",
                     column_config=ui.column_config("health_validation_bands"))
        c2.dataframe(views.localize_measures(check["auc"], "measure", lang), hide_index=True, placeholder="", column_config={"measure": ui.t("measure"),
                                                                                                              "auc": st.column_config.NumberColumn("ROC AUC", format="%.2f")})
    suggested = check.get("suggested")
    if suggested is not None and len(suggested):
        st.markdown(f"**{ui.t('suggested_weights')}**")
        st.caption(ui.t("suggested_weights_help"))
        preview = check.get("preview")
        if preview is not None and not check["offered"]:  # validates worse (or no better): said, not offered
            st.info(ui.t("suggestion_not_better"), icon=":material/block:")
        else:
            st.dataframe(views.localize_measures(suggested, "measure", lang), hide_index=True, placeholder="", column_config={
                "measure": ui.t("measure"), "auc": st.column_config.NumberColumn("ROC AUC", format="%.2f"),
                "weight": st.column_config.NumberColumn(ui.t("weight_now"), format="%.1f"),
                "suggested": st.column_config.NumberColumn(ui.t("weight_suggested"), format="%.1f")})
        if preview is not None:  # the same validation under each set of weights
            bands, auc_line = views.suggestion_preview(preview, lang)
            st.markdown(ui.t("preview_title"))
            st.caption(auc_line)
            st.dataframe(bands, hide_index=True, placeholder="", column_config={
                "band": ui.t("band"), "accounts_now": st.column_config.NumberColumn(ui.t("accounts_now"), format="localized"),
                "churn_rate_now": st.column_config.NumberColumn(ui.t("churn_now"), format="percent"),
                "accounts_suggested": st.column_config.NumberColumn(ui.t("accounts_suggested"), format="localized"),
                "churn_rate_suggested": st.column_config.NumberColumn(ui.t("churn_suggested"), format="percent")})
        if user.can_edit and check["offered"] and st.button(ui.t("accept_weights"), type="primary", key="accept_weights"):
            weights = dict(zip(suggested["measure"], suggested["suggested"], strict=True))
            with st.spinner(ui.t("saving")):
                workspace.put_setting(ui.db(), "health", health_weights.with_weights(config, weights), by=user)
            ui.flash(ui.t("saved"))
            st.rerun()
ui.definitions(["health", "health_validation"])

"""Accounts to act on: who to call and why (the call list with reasons and next actions), renewals coming
up, contact coverage and the upsell pipeline. Every list is a result; this page only draws it."""

import pandas as pd
import streamlit as st

from dashboard import actions, export, figures, money, periods, ui, views, worklog, workspace
from dashboard.actions import RuleError
from dashboard.i18n import integer

SHOWN = 200  # rows of the call list on the page; the CSV has them all

st.title(ui.t("page_accounts"))
f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    ui.empty_state(user)
    st.stop()
loaded = ui.q("loaded")
if not ui.q("health_config")["measures"]:
    st.info(ui.t("no_health_measures"), icon=":material/info:")
    st.stop()

# Only the open tab runs (on_change="rerun"): the other three are not computed or sent on every rerun.
calls_tab, renewals_tab, coverage_tab, upsell_tab = st.tabs(
    [ui.t("tab_calls"), ui.t("tab_renewals"), ui.t("tab_coverage"), ui.t("tab_upsell")], key="accounts_tab",
    on_change="rerun")


# -- the call list ---------------------------------------------------------------------------------------
if calls_tab.open:
    with calls_tab:
        left, right = st.columns([3, 2])
        bands = left.pills(ui.t("filter_bands"), ["red", "yellow", "green"], selection_mode="multi", default=["red"],
                           format_func=ui.t, key="calls_bands") or ["red"]
        window = right.selectbox(ui.t("filter_renewal_window"), [None, 30, 60, 90], key="calls_window",
                                 format_func=lambda d: ui.t("renewal_any") if d is None else ui.t("within_days_label", days=d))
        ordered = tuple(b for b in ("red", "yellow", "green") if b in bands)
        work = worklog.state(ui.db())  # read on every run: recording work is no new data version
        full, aside = views.calls_now(ui.q, work, f.as_of, ui.today(), bands=ordered, within_days=window)
        exclude = tuple(sorted(aside["account_id"]))
        cards = st.columns(3)
        cards[0].metric(ui.t("calls_accounts"), integer(len(full)), border=True)
        cards[1].metric(ui.t("calls_mrr"), money.card(money.total(full["mrr"]) if len(full) else 0, lang), border=True,
                        help=ui.help_for("at_risk"))
        renewing = full[(full["days_to_renewal"] > 0) & (full["days_to_renewal"] <= 90)]
        cards[2].metric(ui.t("calls_renewing"), integer(len(renewing)), border=True,
                        delta=money.compact(money.total(renewing["mrr"]) if len(renewing) else 0, lang),
                        delta_color="off", delta_arrow="off", delta_description="MRR", help=ui.help_for("renewals"))
        if full.empty:
            st.info(ui.t("calls_none"))
        else:
            shown = views.localize_work(views.localize_bands(worklog.with_work(
                ui.q("call_list", as_of=f.as_of, lang=lang, bands=ordered, within_days=window, limit=SHOWN,
                     exclude=exclude), work), ui.t), lang)
            # what a CS lead reads first: who, how big, why and what to do; the CSV has every column
            columns = ["name", "mrr", "score", "next_action", "reasons", "work_status", "due", "last_note", "tier",
                       "owner", "days_to_renewal", "days_since_contact", "change", "account_id"]
            ui.table(shown, "at_risk", columns, height=420)
            if len(full) > SHOWN:
                st.caption(ui.t("calls_shown", shown=SHOWN, total=len(full)))
            encoding = st.radio(ui.t("csv_encoding"), list(export.ENCODINGS), horizontal=True, key="calls_encoding",
                                     format_func=lambda e: ui.t("enc_utf8" if e == "utf-8-sig" else "enc_cp932"))
            every_row = ui.later("call_list", as_of=f.as_of, lang=lang, bands=ordered, within_days=window,
                                 exclude=exclude)
            labels, values = ui.csv_words()

            def call_list_csv() -> bytes:  # written when the button is pressed: every row of this view
                rows = export.for_people(views.at_risk_download(worklog.with_work(every_row(), work)), labels, values)
                return export.to_csv_bytes(rows, encoding)

            st.download_button(ui.t("download_calls"), call_list_csv, file_name=f"call_list_{f.as_of:%Y%m%d}.csv",
                                   mime="text/csv", icon=":material/download:", on_click="ignore", key="calls_csv")
        if len(aside):
            with st.expander(ui.t("calls_set_aside", n=integer(len(aside))), icon=":material/snooze:"):
                st.caption(ui.t("calls_set_aside_help"))
                names = ui.q("at_risk", as_of=f.as_of, bands=list(ordered), within_days=window)[["account_id", "name"]]
                ui.table(views.localize_work(names.merge(aside, on="account_id"), lang), "at_risk",
                         ["name", "work_status", "task", "snoozed_until", "last_note", "account_id"])

        with st.expander(ui.t("action_rules"), icon=":material/rule:"):
            st.caption(ui.t("action_rules_help"))
            rules = actions.rules_in_force(ui.q("settings"))
            table = pd.DataFrame([{k: r.get(k, [] if k in ("tiers", "bands") else None)
                                   for k in (*actions.RULE_FIELDS, "action_ja", "action_en")} for r in rules])
            limits = ("max_days_to_renewal", "max_usage_score", "max_account_age_days", "min_days_since_contact")
            for column in limits:  # no limit is a blank cell, not "None"
                table[column] = pd.to_numeric(table[column], errors="coerce").astype("Float64")
            for column in ("action_ja", "action_en"):
                table[column] = table[column].fillna("")
            config = {
                "tiers": st.column_config.MultiselectColumn(ui.t("rule_tiers"), options=["Tier1", "Tier2", "Tier3"]),
                "bands": st.column_config.MultiselectColumn(ui.t("rule_bands"), options=["red", "yellow", "green"],
                                                            format_func=ui.t),
                **{k: st.column_config.NumberColumn(ui.t(f"rule_{k}"), min_value=0, step=1)
                   for k in ("max_days_to_renewal", "max_usage_score", "max_account_age_days", "min_days_since_contact")},
                # the action in the user's language; the other language's text is kept (hidden), and a new
                # rule's is filled from this one (actions.clean_rules)
                f"action_{lang}": st.column_config.TextColumn(ui.t(f"rule_action_{lang}"), width="medium"),
                f"action_{'en' if lang == 'ja' else 'ja'}": None,
            }
            if user.can_edit:
                edited = st.data_editor(table, column_config=config, num_rows="dynamic", hide_index=True,
                                        width="stretch", key="rules_editor")
                save, reset = st.columns([1, 4])
                if save.button(ui.t("save"), type="primary", key="rules_save"):
                    try:
                        workspace.put_setting(ui.db(), "action_rules", actions.clean_rules(edited.to_dict("records")), by=user)
                        st.toast(ui.t("rules_saved"), icon=":material/check:")
                        st.rerun()
                    except RuleError as exc:
                        st.error(exc.message(lang))
                if reset.button(ui.t("rules_reset"), key="rules_reset"):
                    workspace.put_setting(ui.db(), "action_rules", None, by=user)
                    st.rerun()
            else:
                st.dataframe(table, column_config=config, hide_index=True, width="stretch", placeholder="")


# -- renewals --------------------------------------------------------------------------------------------
if renewals_tab.open:
    with renewals_tab:
        due = views.renewal_windows(ui.q, f.as_of)
        cards = st.columns(3)
        for card, days in zip(cards, (30, 60, 90), strict=True):
            card.metric(ui.t("renewals_due_title", days=days), integer(due[days]["accounts"]),
                        delta=money.compact(due[days]["mrr"], lang), delta_color="off", delta_arrow="off",
                        delta_description="MRR", help=ui.help_for("renewals"), border=True)
            with card:
                ui.drill_link("renewals_summary", "accounts", {"within_days": days})
        summary = ui.q("renewals_summary", as_of=f.as_of)
        left, right = st.columns([3, 2])
        with left:
            ui.chart(ui.figure(figures.renewals_by_band, summary, ui.t("renewals_by_band"), lang), summary, "renewals_by_band",
                     drill=("renewals_summary", {}))
        with right:
            st.markdown(f"**{ui.t('renewals_by_owner')}**")
            by_owner = ["owner", "due_30_accounts", "due_90_accounts", "due_90_mrr"]  # all six in the CSV
            owners = ui.q("renewals_by_owner", as_of=f.as_of)
            ui.table(owners, "renewals_by_owner", by_owner)
            ui.download(owners, "renewals_by_owner")
        rates = ui.q("renewal_rates", as_of=f.as_of, grain="quarter", start=periods.add_months(f.as_of.replace(day=1), -24))
        if rates["renewals_due"].sum():
            title = ui.t("renewal_rate_title", grain=ui.t("grain_quarter_label"))
            ui.chart(ui.figure(figures.rate_by_tier, rates, "renewal_rate", title, lang, base="renewals_due"), rates,
                     "renewal_rates")
        st.subheader(ui.t("handoff_title"))
        handoff = views.localize_bands(ui.q("renewals_due", as_of=f.as_of, within_days=90), ui.t)
        if handoff.empty:
            st.info(ui.t("handoff_none"))
        else:
            columns = ["name", "tier", "owner", "mrr", "renewal_date", "days_to_renewal", "score", "change",
                       "days_since_contact", "open_deals", "open_amount", "account_id"]
            ui.table(handoff, "renewals_due", columns)
            ui.download(handoff, "renewal_handoff")


# -- contact coverage ------------------------------------------------------------------------------------
if coverage_tab.open:
    with coverage_tab:
        if "touchpoints" not in loaded:
            st.info(ui.t("no_touchpoints"), icon=":material/info:")
        else:
            contacts = views.contacts_180d(ui.q, f.as_of)
            cards = st.columns(2)
            for card, group, key in ((cards[0], "churned", "contacts_churned"), (cards[1], "retained", "contacts_retained")):
                mean = contacts[group]["mean"]
                card.metric(ui.t(key), "—" if mean is None else f"{mean:.1f}", border=True, help=ui.help_for("coverage"),
                            delta=ui.t("contacts_accounts", n=contacts[group]["accounts"]), delta_color="off",
                            delta_arrow="off")
            left, right = st.columns([3, 2])
            with left:
                coverage = ui.q("coverage_by_owner", as_of=f.as_of)
                if len(coverage):
                    ui.chart(ui.figure(figures.coverage_bars, coverage, ui.t("coverage_by_owner"), lang), coverage,
                             "coverage_by_owner", drill=("coverage_by_owner", {}))
            with right:
                st.markdown(f"**{ui.t('key_uncontacted')}**")
                key_accounts = views.localize_bands(ui.q("key_accounts_uncontacted", as_of=f.as_of), ui.t)
                if key_accounts.empty:
                    st.success(ui.t("key_uncontacted_none"))
                else:
                    columns = ["name", "owner", "mrr", "last_contact", "days_since_contact"]
                    ui.table(key_accounts, "key_accounts_uncontacted", columns)
                    ui.download(key_accounts, "key_accounts_uncontacted")


# -- upsell / cross-sell ---------------------------------------------------------------------------------
if upsell_tab.open:
    with upsell_tab:
        if "opportunities" not in loaded:
            st.info(ui.t("no_opportunities"), icon=":material/info:")
        else:
            pipe = ui.q("pipeline", as_of=f.as_of)
            by = st.segmented_control(ui.t("pipeline_by"), ["tier", "owner", "stage"], default="tier", key="pipe_by",
                                      format_func=lambda b: ui.t(f"pipeline_by_{b}")) or "tier"
            left, right = st.columns(2)
            with left:
                if len(pipe):
                    title = ui.t("pipeline_title", by=ui.t(f"pipeline_by_{by}"), date=f"{f.as_of:%Y/%m/%d}")
                    ui.chart(ui.figure(figures.pipeline_bars, pipe, by, title, lang), pipe, "pipeline", key=f"pipe_{by}")
            with right:
                won = ui.q("won_by_month", as_of=f.as_of, from_month=f.start.replace(day=1))
                title = ui.t("won_title", start=f"{f.start:%Y/%m}", end=f"{f.as_of:%Y/%m}")
                ui.chart(ui.figure(figures.won_by_month, won, title, lang), won, "won_by_month")
            start = periods.add_months(f.as_of.replace(day=1), -24)
            rates = ui.q("upsell_rates", as_of=f.as_of, grain="quarter", start=start)
            left, right = st.columns(2)
            for column, kind, box in (("upsell_rate", "kind_upsell", left), ("cross_sell_rate", "kind_cross_sell", right)):
                with box:
                    title = ui.t("rate_by_tier_title", kind=ui.t(kind), grain=ui.t("grain_quarter_label"))
                    ui.chart(ui.figure(figures.rate_by_tier, rates, column, title, lang), rates, column,
                             drill=("upsell_rates", {"grain": "quarter", "start": start}))

ui.definitions(["at_risk", "renewals", "renewal_rate", "coverage", "upsell", "health"])

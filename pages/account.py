"""Account (顧客詳細): one customer whole — who it is, its MRR timeline with the movements, its health and why,
its usage, touchpoints and deals — from ``?account=ID`` (every list links here) or the sidebar's search."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import actions, figures, money, ui, views, worklog

f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    st.title(ui.t("page_account"))
    ui.empty_state(user)
    st.stop()

account_id = (st.query_params.get("account") or "").strip()
found = views.account(ui.q, account_id, f.as_of, lang, unfiltered=True) if account_id else None
if found is None:
    st.title(ui.t("page_account"))
    if account_id:
        st.warning(ui.t("account_not_found", account=ui.escaped(account_id)), icon=":material/person_off:")
    st.info(ui.t("account_pick"), icon=":material/search:")
    st.stop()

p = found["profile"]
st.title(p.get("name") or account_id)
status = ui.t("account_active") if p["active"] else ui.t("account_churned_on", date=f"{p['churn_date']:%Y/%m/%d}") \
    if pd.notna(p.get("churn_date")) else ui.t("account_inactive")
st.caption(" ・ ".join(str(x) for x in (account_id, p.get("plan"), p.get("industry"), status) if x is not None and x == x))

c = st.columns(5)
c[0].metric(ui.t("tier"), (p.get("tier") or "—") if p["active"] else "—")
c[1].metric("MRR", money.card(p["mrr"], lang) if p["active"] and pd.notna(p.get("mrr")) else "—",
            help=None if p["active"] or pd.isna(p.get("mrr")) else ui.t("account_left_with", mrr=money.fmt(p["mrr"], lang)))
score = p.get("score")
c[2].metric(ui.t("score"), f"{score:.0f}" if pd.notna(score) else "—",
            delta=None if pd.isna(p.get("change")) else f"{p['change']:+.1f}",
            help=ui.t(p["band"]) if isinstance(p.get("band"), str) else None)
renewal = p.get("renewal_date")
c[3].metric(ui.t("renewal"), f"{renewal:%Y/%m/%d}" if p["active"] and pd.notna(renewal) else "—",
            delta=ui.t("days_left", n=int(p["days_to_renewal"])) if p["active"] and pd.notna(p.get("days_to_renewal")) else None,
            delta_color="off", delta_arrow="off")
work = worklog.state(ui.db())  # read on every run: recording work is no new data version
mine = work[work["account_id"] == account_id]
now = mine.iloc[0] if len(mine) else None
assigned = now["assigned_owner"] if now is not None and isinstance(now["assigned_owner"], str) else None
c[4].metric(ui.t("owner"), assigned or p.get("owner") or "—",  # assigned on this page, else the export's
            help=ui.t("work_assigned_over", owner=p.get("owner") or "—") if assigned and assigned != p.get("owner") else None)
start = p.get("contract_start")
st.caption(ui.t("account_since", date=f"{start:%Y/%m/%d}") if pd.notna(start) else "")

if p.get("reasons"):
    band = p.get("band")
    show = st.error if band == "red" else st.warning if band == "yellow" else st.info
    show(f"**{ui.t('account_reasons')}**: " + " / ".join(p["reasons"]) + f"  \n**{ui.t('next_action')}**: {p['next_action']}",
         icon=":material/priority_high:")

left, right = st.columns(2)
with left:
    timeline = found["mrr"]
    if len(timeline):
        ui.chart(ui.figure(figures.account_mrr, timeline, ui.t("account_mrr_title"), lang), timeline, "account_mrr")
        # the months something moved: a movement, or only the exchange rate (為替変動)
        moved = timeline[timeline["movement"].notna() | timeline["fx"].ne(0)].assign(
            movement=lambda d: d["movement"].fillna("fx").map(ui.t)).sort_values("month", ascending=False)
        ui.table(moved, "account_mrr", ["month", "movement", "amount", "mrr"] + (["fx"] if moved["fx"].ne(0).any() else []))
    else:
        st.info(ui.t("account_no_mrr"))
with right:
    health = found["health"]
    if len(health["history"]):
        ui.chart(ui.figure(figures.score_history, health["history"], list(health["bands"].values()),
                           ui.t("score_history", name=p.get("name") or account_id), lang), health["history"],
                 "account_score_history")
    if len(health["measures"]):
        mine = views.localize_measures(health["measures"], "measure", lang)
        st.dataframe(views.explanation(mine, lang), hide_index=True, width="stretch", placeholder="", column_config={
            "measure": ui.t("measure"), "value": ui.t("value"),
            "measure_score": st.column_config.NumberColumn(ui.t("score"), format="%.0f"),
            "weight": st.column_config.NumberColumn(ui.t("weight"), format="%g"),
            "contribution": st.column_config.NumberColumn(ui.t("contribution"), format="%.1f")})
        st.caption(ui.t("account_bands", red=health["bands"]["red_below"], green=health["bands"]["green_from"]))
    elif not len(health["history"]):
        st.info(ui.t("account_no_health"))

usage, touches, deals = found["usage"], found["touchpoints"], found["opportunities"]
if len(usage):
    ui.chart(ui.figure(figures.usage_lines, usage, ui.t("account_usage_title"), lang), usage, "account_usage")
left, right = st.columns(2)
with left:
    st.subheader(ui.t("account_touchpoints"))
    if len(touches):
        ui.table(touches, "account_touchpoints")
    else:
        st.caption(ui.t("account_none_yet"))
with right:
    st.subheader(ui.t("account_deals"))
    if len(deals):
        ui.table(deals, "account_opportunities")
    else:
        st.caption(ui.t("account_none_yet"))

# -- the work on this account: assignment, task, done / snooze, notes (worklog; editors write) -------------
st.subheader(ui.t("work_title"))
if now is not None and isinstance(now["work_status"], str):
    detail = [ui.t(f"work_{now['work_status']}")]
    if isinstance(now["task"], str):
        detail.append(now["task"])
    if pd.notna(now["due"]):
        detail.append(f"{ui.t('work_due')} {now['due']:%Y/%m/%d}")
    if pd.notna(now["snoozed_until"]):
        detail.append(f"{ui.t('work_snooze_until')} {now['snoozed_until']:%Y/%m/%d}")
    st.markdown(ui.t("work_state", status=ui.escaped(" ・ ".join(detail))))


def saved(what: str) -> None:
    ui.flash(ui.t("work_saved", what=what))
    st.rerun()


if not user.can_edit:
    st.caption(ui.t("work_viewer"))
else:
    rules = actions.rules_in_force(ui.q("settings"))
    kinds = list(dict.fromkeys(r[f"action_{lang}"] for r in rules if r.get(f"action_{lang}")))
    if p.get("next_action") and p["next_action"] not in kinds:
        kinds.insert(0, p["next_action"])
    owners = sorted(set(ui.q("accounts", as_of=f.as_of)["owner"].dropna()))
    left, middle, right = st.columns(3)
    with left, st.form("work_note", clear_on_submit=True, border=True):
        note = st.text_area(ui.t("work_note_text"), max_chars=worklog.MAX_NOTE, height=110)
        if st.form_submit_button(ui.t("work_note"), type="primary", icon=":material/edit_note:") and note.strip():
            worklog.record(ui.db(), account_id, "note", by=user, note=note)
            saved(ui.t("work_action_note"))
    with middle, st.form("work_task", border=True):
        suggested = kinds.index(p["next_action"]) if p.get("next_action") in kinds else 0  # the rules' next action
        kind = st.selectbox(ui.t("work_task_kind"), kinds, index=suggested if kinds else None, accept_new_options=True)
        due = st.date_input(ui.t("work_due"), value=ui.today() + dt.timedelta(days=7), format="YYYY/MM/DD")
        if st.form_submit_button(ui.t("work_task"), icon=":material/task_alt:") and kind:
            worklog.record(ui.db(), account_id, "task", by=user, task=kind, due=due)
            saved(ui.t("work_action_task"))
    with right, st.container(border=True):
        if st.button(ui.t("work_done_button"), icon=":material/check_circle:", width="stretch"):
            worklog.record(ui.db(), account_id, "done", by=user, band=p.get("band") if isinstance(p.get("band"), str) else None)
            saved(ui.t("work_action_done"))
        until = st.date_input(ui.t("work_snooze_until"), value=ui.today() + dt.timedelta(days=14),
                              min_value=ui.today() + dt.timedelta(days=1), format="YYYY/MM/DD", key="work_until")
        if st.button(ui.t("work_snooze"), icon=":material/snooze:", width="stretch"):
            worklog.record(ui.db(), account_id, "snooze", by=user, until=until,
                           band=p.get("band") if isinstance(p.get("band"), str) else None)
            saved(ui.t("work_action_snooze"))
        if now is not None and now["work_status"] in ("done", "snoozed") and \
                st.button(ui.t("work_reopen"), icon=":material/undo:", width="stretch"):
            worklog.record(ui.db(), account_id, "reopen", by=user)
            saved(ui.t("work_action_reopen"))
        current = assigned or p.get("owner")
        owner = st.selectbox(ui.t("work_assign_to"), owners, index=owners.index(current) if current in owners else None,
                             accept_new_options=True, key="work_owner")
        if st.button(ui.t("work_assign"), icon=":material/person_add:", width="stretch") and owner:
            worklog.record(ui.db(), account_id, "assign", by=user, owner=owner)
            saved(ui.t("work_action_assign"))

log = worklog.history(ui.db(), account_id)
if len(log):
    st.markdown(f"**{ui.t('work_history')}**")
    st.dataframe(views.work_history(log, lang), hide_index=True, width="stretch", placeholder="", column_config={
        "changed_at": st.column_config.DatetimeColumn(ui.t("work_when"), format="YYYY/MM/DD HH:mm"),
        "by_name": ui.t("work_by"), "action": ui.t("work_what"), "detail": st.column_config.TextColumn(
            ui.t("work_detail"), width="large")})
else:
    st.caption(ui.t("work_none"))

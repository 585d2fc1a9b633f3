"""Data: upload (detect, map, preview, see rejects, commit), snapshot history with restore, settings."""

import json

import pandas as pd
import streamlit as st

from dashboard import derivation, export, i18n, money, schema, sessions, ui, workspace
from dashboard import settings as S
from dashboard.i18n import measure_label, one_line
from dashboard.imports import formats, importer
from dashboard.imports.readers import ImportRefused
from dashboard.imports.workbook import Limits

st.title(ui.t("page_data"))
user, lang = ui.user(), ui.lang()
database = ui.db()

DATASET_LABELS = {d: ui.t(f"ds_{d}") for d in schema.DATASETS}  # in the user's language, never the code


def _coded(kind: str, code: str | None) -> str:
    """An encoding or file format as the user reads it ('cp932' -> 'Shift_JIS（CP932）'); unknown: as stored."""
    key = f"{kind}_{code}"
    return ui.t(key) if code and key in i18n.MESSAGES else (code or "")


def _who(name: str | None) -> str:
    """Who imported: the user's name, with the way it came in words ('root (cli)' -> 'root（コマンド）')."""
    name = name or ""
    for suffix, key in ((" (cli)", "by_cli"), (" (demo)", "by_demo")):
        if name.endswith(suffix):
            name = name.removesuffix(suffix) + ui.t(key)
    base = name.split("（")[0].split(" (")[0]
    return ui.t("local_user") + name[len(base):] if base == "local" else name

st.subheader(ui.t("upload"))
if not user.can_edit:
    st.info(ui.t("viewer_cannot_edit"), icon=":material/lock:")
else:
    dataset = st.selectbox(ui.t("dataset"), list(schema.DATASETS), format_func=DATASET_LABELS.get, key="up_dataset")
    mode = st.segmented_control(ui.t("import_mode"), list(importer.MODES_FOR[dataset]), default="replace",
                                format_func=lambda m: ui.t(f"mode_{m}"), key=f"up_mode_{dataset}") or "replace"
    upload = st.file_uploader(ui.t("file"), type=formats.uploader_types(), key="up_file")
    if upload is None:  # the file was taken away: its staged copy goes now, not when the session ends
        for staged in st.session_state.pop("up_plans", {}).values():
            staged.discard()
    else:
        sheet = st.session_state.get("up_sheet")
        overrides = st.session_state.get("up_overrides", {}).get((upload.file_id, dataset))
        wanted_plan = (upload.file_id, dataset, sheet, json.dumps(overrides, sort_keys=True), mode)
        plans = st.session_state.setdefault("up_plans", {})  # one staged plan per choice: reruns reuse it
        plan = plans.get(wanted_plan)
        if plan is None:
            bar = st.progress(0.0, text=ui.t("import_reading"))
            try:
                plan = importer.plan_import(upload.getvalue(), upload.name, dataset, db=database, sheet=sheet,
                                            overrides=overrides, mode=mode,
                                            progress=lambda f, step: bar.progress(f, text=ui.t(f"import_{step}")))
                plans.clear()
                plans[wanted_plan] = plan
            except ImportRefused as exc:
                st.error(exc.message(lang), icon=":material/error:")
            bar.empty()
        if plan is not None:
            raw = plan.raw
            st.caption(ui.t("detected", fmt=_coded("fmt", raw.source_format), enc=_coded("encname", raw.encoding) or "—",
                            sheet=raw.sheet or "—"))
            for warning in plan.warnings(lang):
                st.warning(warning, icon=":material/warning:")
            if raw.sheets and len(raw.sheets) > 1:
                st.selectbox(ui.t("sheet"), raw.sheets, index=raw.sheets.index(raw.sheet), key="up_sheet")
            st.markdown(f"**{ui.t('mapping')}**")
            options = [""] + [h for h in raw.headers if h]
            columns = list(schema.DATASETS[dataset]) if dataset != "usage" else ["account_id", "date"]
            chosen = {}
            cols = st.columns(4)
            for i, canonical in enumerate(columns):
                current = plan.mapping.get(canonical, "")
                conf = plan.confidence.get(canonical)
                label = f"{ui.t('col_' + canonical)}{' *' if canonical in schema.REQUIRED[dataset] else ''}" + (
                    f"  ({conf:.0%})" if conf is not None else "")
                chosen[canonical] = cols[i % 4].selectbox(label, options, index=options.index(current),
                                                          format_func=lambda h: h or ui.t("not_mapped"),
                                                          key=f"map_{dataset}_{canonical}")
            if dataset == "usage":
                measures = {k: v for k, v in plan.mapping.items() if k not in ("account_id", "date")}
                st.caption(ui.t("measures") + ": " + ", ".join(f"{one_line(measure_label(k, lang))} ← {one_line(v)}"
                                                              for k, v in measures.items()))
            if plan.unmapped:
                st.caption(ui.t("unmapped_headers", headers=", ".join(one_line(h) for h in plan.unmapped)))
            wanted = {k: v for k, v in chosen.items() if v}
            if dataset != "usage" and wanted != {k: v for k, v in plan.mapping.items() if k in columns}:
                st.session_state.setdefault("up_overrides", {})[(upload.file_id, dataset)] = wanted
                st.rerun()
            st.markdown(f"**{ui.t('preview')}**")
            # headed as the mapping above names the columns (顧客ID, 契約開始日), not by their stored names
            preview, formats_of = ui.dataset_table(dataset, plan.frame)
            st.dataframe(preview, column_config=formats_of, hide_index=True, placeholder="", width="stretch")
            if plan.rows_rejected:
                with st.expander(ui.t("rejected_preview", n=f"{plan.rows_rejected:,}"), icon=":material/warning:",
                                 expanded=True):
                    errors = pd.DataFrame([e.as_dict(lang) for e in plan.errors]).rename(
                        columns=lambda c: ui.t(f"rejected_{c}"))  # headed in words, the download too
                    st.dataframe(errors.head(200), hide_index=True, placeholder="", width="stretch")
                    st.download_button(ui.t("rejected_download"), export.to_csv_bytes(errors),
                                       file_name="rejected_rows.csv", mime="text/csv")
            st.caption(ui.t("rows_summary", read=f"{plan.rows_read:,}", loaded=f"{plan.rows_loaded:,}",
                            rejected=f"{plan.rows_rejected:,}"))
            confirmed = True
            if plan.guard:
                st.warning(importer.ReplaceNeedsConfirmation(file=upload.name, dataset=dataset, **plan.guard)
                           .message(lang), icon=":material/warning:")
                confirmed = st.checkbox(ui.t("confirm_replace", **{k: f"{v:,}" for k, v in plan.guard.items()}),
                                        key="up_confirm_replace")
            if st.button(ui.t("commit"), type="primary", icon=":material/check:", disabled=not confirmed):
                bar = st.progress(0.75, text=ui.t("import_storing"))
                try:
                    result = workspace.commit(database, plan, by=user, lang=lang,
                                             confirm_replace=confirmed,
                                             progress=lambda f, step: bar.progress(f, text=ui.t(f"import_{step}")))
                except ImportRefused as exc:
                    result = None
                    st.error(exc.message(lang), icon=":material/error:")
                plans.clear()  # the staged file is gone after a commit
                bar.empty()
                if result is None:
                    pass
                elif result["unchanged"]:
                    st.info(ui.t("unchanged"))
                else:
                    st.success(ui.t("imported", file=upload.name, loaded=f"{result['rows_loaded']:,}",
                                    rejected=f"{result['rows_rejected']:,}"))
                    if result["rows_duplicate"]:
                        st.info(ui.t("imported_duplicates", n=f"{result['rows_duplicate']:,}"))
                    ui.new_run()

st.subheader(ui.t("history"))
snapshots = importer.list_snapshots(database)
if len(snapshots):
    shown = snapshots.assign(mode=snapshots["mode"].map(lambda m: ui.t(f"mode_{m}").split("（")[0].split(" (")[0]),
                             encoding=snapshots["encoding"].map(lambda e: _coded("encname", e)),
                             source_format=snapshots["source_format"].map(lambda f: _coded("fmt", f)),
                             imported_by=snapshots["imported_by"].map(_who), sheet=snapshots["sheet"].fillna(""),
                             dataset=snapshots["dataset"].map(DATASET_LABELS))
    st.dataframe(shown, hide_index=True, placeholder="", width="stretch", column_order=[
        # what a user looks for first (which file, when, how many rows) fits at 1024 px; the rest scrolls
        "snapshot_id", "is_current", "dataset", "file_name", "imported_at", "rows_loaded", "rows_rejected",
        "rows_duplicate", "mode", "imported_by", "source_format", "encoding", "sheet"], column_config={
        "mode": ui.t("import_mode"),
        "rows_duplicate": st.column_config.NumberColumn(ui.t("data_duplicate"), format="localized", width="small"),
        "snapshot_id": st.column_config.NumberColumn("#", width=40),
        "is_current": st.column_config.CheckboxColumn(ui.t("data_current"), width=50),
        "dataset": ui.t("dataset"), "file_name": ui.t("data_file"),
        "rows_loaded": st.column_config.NumberColumn(ui.t("data_loaded"), format="localized", width="small"),
        "rows_rejected": st.column_config.NumberColumn(ui.t("data_rejected"), format="localized", width="small"),
        "imported_at": st.column_config.DatetimeColumn(ui.t("data_imported"), format="YYYY/MM/DD HH:mm"),
        "imported_by": ui.t("data_by"), "source_format": ui.t("data_format"),
        "encoding": ui.t("data_encoding"), "sheet": ui.t("data_sheet")})
    if user.can_edit:
        old = snapshots[~snapshots["is_current"]]
        if len(old):
            c1, c2 = st.columns([2, 1])
            pick = c1.selectbox(ui.t("restore"), old["snapshot_id"].tolist(), key="restore_pick",
                                format_func=lambda s: f"#{s} {DATASET_LABELS[old.set_index('snapshot_id').loc[s, 'dataset']]} "
                                                      f"{old.set_index('snapshot_id').loc[s, 'file_name']}")
            c2.markdown("<div style='height:1.75rem'></div>", unsafe_allow_html=True)  # align with the select box
            if c2.button(ui.t("restore_button"), icon=":material/restore:", width="stretch"):
                st.session_state["restore_asked"] = int(pick)
            asked = st.session_state.get("restore_asked")
            if asked is not None and asked in set(old["snapshot_id"]):  # confirm before anything changes
                row = old.set_index("snapshot_id").loc[asked]
                st.warning(ui.t("restore_confirm", id=asked, dataset=DATASET_LABELS[row["dataset"]],
                                file=row["file_name"] or "—"), icon=":material/restore:")
                yes, no, _ = st.columns([1, 1, 3])
                if yes.button(ui.t("restore_confirm_yes"), type="primary", key="restore_yes"):
                    with st.spinner(ui.t("restoring")):
                        workspace.restore(database, asked, by=user)
                    st.session_state.pop("restore_asked", None)
                    ui.flash(ui.t("restored", id=asked))
                    ui.new_run()
                    st.rerun()
                if no.button(ui.t("cancel"), key="restore_no"):
                    st.session_state.pop("restore_asked", None)
                    st.rerun()
elif user.can_edit:
    ui.empty_state(user)

def currency_name(code: str) -> str:
    return money.currency_name(code, lang)


derived = database.query("SELECT account_id FROM derived_mrr GROUP BY account_id ORDER BY account_id LIMIT 1")
if len(derived):  # some account's MRR is derived from subscriptions or invoice lines: show how
    st.subheader(ui.t("derivation_title"))
    st.caption(ui.t("derivation_caption"))
    account = st.text_input(ui.t("derivation_account"), value=derived["account_id"][0], key="derivation_account").strip()
    explained = derivation.explain(database, account, lang=lang) if account else None
    if explained is None or explained["source"] is None:
        st.info(ui.t("derivation_none"))
    elif explained["source"] == "mrr":
        st.info(ui.t("derivation_imported"))
    else:
        money_col = {"format": "localized"}
        lines = pd.DataFrame(explained["lines"])
        lines = lines.assign(kind=lines["kind"].map(lambda k: ui.t(f"kind_{k}")), not_mrr=lines["not_mrr"].fillna(""),
                             currency=lines["currency"].fillna(money.current().code).map(currency_name),
                             monthly=lines["monthly"].astype(float))
        st.markdown(f"**{ui.t('derivation_lines')}**")
        st.dataframe(lines, hide_index=True, width="stretch", placeholder="", column_order=[
            "ref", "plan", "kind", "from", "until", "monthly", "currency", "rule", "not_mrr"], column_config={
            "ref": ui.t("d_ref"), "plan": ui.t("col_plan"), "kind": ui.t("d_kind"), "from": ui.t("d_from"),
            "until": ui.t("d_until"), "monthly": st.column_config.NumberColumn(ui.t("d_monthly"), **money_col),
            "currency": ui.t("col_currency"), "rule": ui.t("d_rule"), "not_mrr": ui.t("d_not_mrr")})
        table = pd.DataFrame(derivation.month_table(explained, lang))
        if len(table):
            for column in ("native", "mrr_line", "mrr", "fx", "rate"):
                table[column] = pd.to_numeric(table[column], errors="coerce")
            table["currency"] = table["currency"].map(currency_name)
            st.markdown(f"**{ui.t('derivation_months')}**")
            st.dataframe(table, hide_index=True, width="stretch", placeholder="", column_config={
                "month": ui.t("col_month"), "ref": ui.t("d_ref"),
                "native": st.column_config.NumberColumn(ui.t("d_native"), **money_col),
                "currency": ui.t("col_currency"), "rate": st.column_config.NumberColumn(ui.t("d_rate"), format="localized"),
                "mrr_line": st.column_config.NumberColumn(ui.t("d_mrr_line"), **money_col),
                "mrr": st.column_config.NumberColumn(ui.t("d_mrr"), **money_col),
                "fx": st.column_config.NumberColumn(ui.t("d_fx"), **money_col)})

st.subheader(ui.t("settings"))
conf = ui.q("settings")
with st.form("settings"):
    c1, c2, c3 = st.columns(3)
    fy = c1.selectbox(ui.t("fy_start"), list(range(1, 13)), index=int(conf["fiscal_year_start"]) - 1,
                      format_func=lambda m: i18n.calendar_month(m, lang),
                      disabled=not user.can_edit)
    codes = list(money.CURRENCIES)
    currency = c2.selectbox(ui.t("currency"), codes, index=codes.index(conf["currency"]) if conf["currency"] in codes else 0,
                            format_func=lambda c: getattr(money.CURRENCIES[c], f"label_{lang}"), disabled=not user.can_edit)
    tz = c3.selectbox(ui.t("time_zone"), ["Asia/Tokyo", "UTC"], index=0 if conf["time_zone"] == "Asia/Tokyo" else 1,
                      format_func=lambda z: ui.t(f"tz_{z}"), disabled=not user.can_edit)
    if st.form_submit_button(ui.t("save"), disabled=not user.can_edit):
        changed = {k: v for k, v in (("fiscal_year_start", int(fy)), ("currency", currency), ("time_zone", tz))
                   if v != conf[k]}  # only what changed: each change is a new data version
        with st.spinner(ui.t("saving")):
            for key, value in changed.items():
                workspace.put_setting(database, key, value, by=user)
        # the billing exports converted into the new currency: what it leaves out (a missing rate) is named
        ui.flash(ui.t("saved"), importer.derivation_warnings(database, lang) if "currency" in changed else None)
        ui.new_run()
        st.rerun()

with st.expander(ui.t("limits_title"), icon=":material/shield_lock:"):
    st.caption(ui.t("limits_help"))
    current = Limits.from_settings(conf["import_limits"])
    with st.form("limits"):
        columns = st.columns(3)
        hours = columns[0].number_input(ui.t("session_hours"), 1, sessions.MAX_HOURS, int(conf["session_hours"]),
                                        disabled=not user.can_edit)
        wanted = {}
        for i, name in enumerate(("max_file_mb", "max_columns", "max_cells", "max_unzipped_mb", "reader_memory_mb")):
            low, high = Limits.BOUNDS[name]
            wanted[name] = columns[(i + 1) % 3].number_input(ui.t(f"limit_{name}"), low, high,
                                                             getattr(current, name), disabled=not user.can_edit)
        if st.form_submit_button(ui.t("save"), disabled=not user.can_edit):
            kept = {k: v for k, v in conf["import_limits"].items() if k not in wanted}  # set elsewhere, kept
            limits = kept | {k: int(v) for k, v in wanted.items() if int(v) != getattr(Limits(), k)}
            if limits != conf["import_limits"]:
                workspace.put_setting(database, "import_limits", limits, by=user)
            if int(hours) != conf["session_hours"]:
                workspace.put_setting(database, "session_hours", int(hours), by=user)
            st.success(ui.t("saved"))

with st.expander(ui.t("settings_history"), icon=":material/history:"):
    changes = S.history(database)
    if changes:
        # each setting by its name, who in words, a plain value as itself (4, mrr), a structured one as JSON
        table = pd.DataFrame(changes).assign(
            key=lambda d: d["key"].map(lambda k: ui.t(f"setting_{k}") if f"setting_{k}" in i18n.MESSAGES else k),
            changed_by=lambda d: d["changed_by"].map(_who),
            value=lambda d: d["value"].map(lambda v: ui.t("default_value") if v is None else str(v)
                                           if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)[:120]))
        st.dataframe(table, hide_index=True, width="stretch", placeholder="", column_config={
            "changed_at": st.column_config.DatetimeColumn(ui.t("changed_at"), format="YYYY/MM/DD HH:mm"),
            "changed_by": ui.t("changed_by"), "key": ui.t("setting"), "value": ui.t("value")})
    else:
        st.caption(ui.t("no_settings_changes"))

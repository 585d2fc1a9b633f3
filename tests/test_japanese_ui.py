"""The Japanese UI has no English and no raw identifiers: every page's rendered text (titles, labels,
options, captions, messages, table column labels, chart titles, axes and series) scanned for ASCII words
that are not units or product abbreviations, codes or names from the user's own data."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.db import Database

APP = "../app/main.py"
PAGES = ["overview", "accounts", "tiers", "health", "churn", "d2c", "simulator", "data"]
# A run of letters not glued to a letter before or a letter or digit after: "k（か月後）" and "14k" are words,
# the C of an account id "C10120" is not. D2C is the product's own abbreviation (taken out before).
WORD = re.compile(r"(?<![A-Za-z])[A-Za-z][A-Za-z_]*(?![A-Za-z0-9])")
# Units, abbreviations Japanese CS teams use as they are, and the names the UI shows on purpose.
ALLOWED = {
    "MRR", "ARR", "NRR", "GRR", "LTV", "CAC", "CPA", "AOV", "ARPA", "ROAS", "ROI", "KPI", "CSV", "CSM", "CS",
    "QBR", "SaaS", "AUC", "ROC", "URL", "MB", "GB", "Excel", "UTF", "BOM", "CP", "Shift_JIS", "ID", "Tier",
    "Parquet", "xlsx", "English", "Language",  # the language switch names the other language in itself
    "Asia", "Tokyo", "UTC",  # time zone names
    "pt",  # percentage points (前月比+2.0pt)
}


def words(text: str) -> list[str]:
    """The ASCII words of a shown text, markup, templates, code and the product's own D2C left out."""
    return WORD.findall(re.sub(r"https?://\S+|<[^>]+>|%\{[^}]*\}|\{[^}]*\}|`[^`]*`|(?<![A-Za-z0-9])D2C(?![A-Za-z0-9])", " ", text))


def _labels(table) -> list[str]:
    """The column labels a table shows: its column configuration's label, else the column's own name."""
    config = json.loads(table.proto.columns or "{}")
    order = list(table.proto.column_order) or [str(c) for c in table.value.columns]
    out = []
    for name in order:
        conf = config.get(name, {})
        if conf.get("hidden"):
            continue
        out.append(conf.get("label") or name)
    return out


def shown_text(at: AppTest) -> list[tuple[str, str]]:
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [(kind, e.value) for e in getattr(at, kind)]
    for kind in ("button", "expander", "metric", "selectbox", "multiselect", "radio", "number_input", "slider",
                 "date_input", "text_input", "checkbox", "toggle"):
        for e in getattr(at, kind):
            out.append((kind, e.label))
            if kind in ("selectbox", "radio") and e.label not in DATA_PICKERS:  # formatted options
                out += [(f"{kind} option", str(o)) for o in e.options]
    for e in at.metric:  # a card's value and change ('None' or '12k' there would be read too)
        out += [("metric value", str(e.value)), ("metric change", str(e.delta or ""))]
    for e in at.multiselect:
        if e.label not in DATA_PICKERS:
            out += [("multiselect option", str(o)) for o in e.options]
    for kind in ("tabs", "pills", "segmented_control", "download_button"):
        for e in at.get(kind):
            out.append((kind, getattr(e.proto, "label", "")))
            out += [(f"{kind} option", str(o)) for o in getattr(e, "options", []) or []]
    for e in at.dataframe:  # tables and data editors: the labels their column configuration shows, and
        out += [("table column", label) for label in _labels(e)]  # the words in their cells
        frame = e.value
        config = json.loads(e.proto.columns or "{}")
        shown = list(e.proto.column_order) or [str(c) for c in frame.columns]
        for column in frame.columns:
            conf = config.get(str(column), {})
            text_column = pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column])
            if str(column) in shown and not conf.get("hidden") and text_column:
                # a select/multiselect column shows each value by its label
                label = {o["value"]: o.get("label") or o["value"]
                         for o in (conf.get("type_config") or {}).get("options") or [] if isinstance(o, dict)}
                cells = {" ".join(str(label.get(x, x)) for x in ([v] if isinstance(v, str) else v))
                         for v in frame[column].head(300) if isinstance(v, str) or hasattr(v, "__iter__")}
                out += [("table cell", v) for v in cells]
    for e in at.get("plotly_chart"):
        out += chart_text(json.loads(e.proto.spec))
    return out


def chart_text(spec: dict) -> list[tuple[str, str]]:
    """Every word a chart shows: titles, axis titles and tick labels, category labels, series names,
    labels on bars, hover texts and notes, colour-bar ticks."""
    out = []
    layout = spec.get("layout", {})
    out.append(("chart", _text(layout.get("title"))))
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            out.append(("chart axis", _text(axis.get("title"))))
            out += [("chart tick", str(v)) for v in axis.get("ticktext") or []]
    out += [("chart note", str(a.get("text") or "")) for a in layout.get("annotations") or []]
    out += [("chart note", str(s.get("label", {}).get("text") or "")) for s in layout.get("shapes") or []]
    for trace in spec.get("data", []):
        out.append(("chart series", str(trace.get("name") or "")))
        for key in ("x", "y", "labels"):  # category labels (numbers and dates are not words)
            values = trace.get(key)
            if isinstance(values, list):
                out += [("chart label", v) for v in values if isinstance(v, str) and not v[:4].isdigit()]
        texts = trace.get("text")
        out += [("chart text", str(v)) for v in (texts if isinstance(texts, list) else [texts] if texts else [])
                for v in (v if isinstance(v, list) else [v])]
        hovertext = trace.get("hovertext")  # what %{hovertext} shows
        out += [("chart hover", str(v)) for v in (hovertext if isinstance(hovertext, list) else [hovertext] if hovertext else [])]
        for key in ("hovertemplate", "texttemplate"):
            value = trace.get(key)
            out += [("chart hover", v) for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
        bar = (trace.get("marker") or {}).get("colorbar") or trace.get("colorbar") or {}
        out += [("chart tick", str(v)) for v in bar.get("ticktext") or []]
    return out


def _text(part) -> str:
    return part.get("text", "") if isinstance(part, dict) else str(part or "")


# Pickers whose options are the user's own data (accounts, owners), shown as they were imported.
DATA_PICKERS = {"説明する顧客", "担当CSM", "顧客"}


def data_words(path) -> set[str]:
    """Words in the user's own data: names, owners, plans, industries, channels, file names. Not the usage
    measures: the known ones (logins, page_views, active_users) are ids the UI must show in words."""
    rows = Database(path).query(
        "SELECT DISTINCT v FROM (SELECT unnest([name, owner, plan, industry, segment, tier, acquisition_channel, "
        "status]) AS v FROM cur_accounts UNION ALL "
        "SELECT DISTINCT channel FROM cur_orders UNION ALL SELECT DISTINCT kind FROM cur_touchpoints "
        "UNION ALL SELECT unnest([subscription_id, plan]) FROM cur_subscriptions "  # billing exports' ids and plans
        "UNION ALL SELECT unnest([invoice_id, item, plan]) FROM cur_invoice_lines "
        "UNION ALL SELECT file_name FROM snapshots "
        "UNION ALL SELECT by_name FROM account_work) WHERE v IS NOT NULL")  # who recorded work: a login name
    return {w for v in rows["v"] for w in WORD.findall(str(v))}


# Pages with tabs run only the open tab: each tab is a view of its own (page, tab widget key, tab label).
TABS = [("accounts", "accounts_tab", label) for label in ("更新", "接触状況", "アップセル")] + [
    ("simulator", "sim_tab", label) for label in ("SaaS（月額）", "CS投資のROI", "年間契約の更新", "シナリオ")]
VIEWS = [(page, None, None) for page in PAGES] + TABS


@pytest.mark.parametrize(("page", "tab_key", "tab"), VIEWS, ids=[f"{p}-{t}" if t else p for p, _, t in VIEWS])
def test_the_japanese_ui_has_no_english_words(app_db, page, tab_key, tab):
    at = AppTest.from_file(APP, default_timeout=120).run()
    if page != "overview":
        at.switch_page(f"../pages/{page}.py").run()
    if tab:
        at.session_state[tab_key] = tab
        at.run()
        assert at.session_state[tab_key] == tab  # a label that is no tab would silently open the first one
    assert not at.exception
    texts = shown_text(at)
    if page == "data":  # the scan reads the cells of a table, not only its headers
        assert any(kind == "table cell" and text == "置き換え" for kind, text in texts), texts
    _no_english(texts, app_db)


def _no_english(texts, app_db) -> None:
    allowed = ALLOWED | data_words(app_db)
    found = {}
    for kind, text in texts:
        for word in words(text):
            if word not in allowed and not (kind == "markdown" and len(word) == 1):  # a definition's variables
                found.setdefault(word, []).append(f"{kind}: {text[:80]}")
    assert not found, found


# Pages opened by a link (an account, the accounts behind a figure): their URL says what they show.
LINKED = [("account", {"account": "C20005"}),
          ("drill", {"drill": "mrr_movements", "col": "churn", "k_month": "2026-09-01", "back": "overview"}),
          ("drill", {"drill": "coverage_by_owner", "col": "coverage", "k_owner": "佐藤"}),
          ("drill", {"drill": "cohorts", "col": "logo_retention", "k_cohort": "2025-11-01", "k_k": "3"}),
          ("drill", {"drill": "upsell_rates", "col": "upsell_rate", "k_period_start": "2026-07-01", "k_tier": "Tier1",
                     "p_grain": "quarter", "p_start": "2024-10-01"})]


@pytest.mark.parametrize(("page", "query"), LINKED, ids=[f"{p}-{q.get('drill', '')}" for p, q in LINKED])
def test_pages_opened_by_a_link_have_no_english_words(app_db, page, query):
    from dashboard import auth, worklog

    # some work recorded, so the account page shows its status and history in words too
    db = Database(app_db)
    worklog.record(db, "C20005", "task", by=auth.User("lead", "editor"), task="更新前の面談", due=None)
    worklog.record(db, "C20005", "snooze", by=auth.User("lead", "editor"), until=dt.date(2026, 12, 20), band="yellow")
    db.release()
    at = AppTest.from_file(APP, default_timeout=120).run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    texts = shown_text(at)
    assert len(texts) > 20 and not any("見つかりません" in text or "開けません" in text for _, text in texts)
    _no_english(texts, app_db)


# -- the Data page's import preview (ui.dataset_table) ----------------------------------------
@pytest.mark.parametrize("dataset", ["accounts", "mrr", "usage", "touchpoints", "opportunities", "orders",
                                     "subscriptions", "invoice_lines", "fx_rates"])
def test_the_import_preview_is_headed_in_japanese_for_every_dataset(dataset, monkeypatch):
    from dashboard import schema, ui

    monkeypatch.setattr(ui, "lang", lambda: "ja")
    columns = list(schema.DATASETS[dataset])
    shown, config = ui.dataset_table(dataset, pd.DataFrame({c: [None] for c in columns}))
    assert len(set(shown.columns)) == len(columns)  # no two columns under one heading
    assert [c for c in shown.columns if re.fullmatch(r"[A-Za-z_ ]+", c)] == []  # no stored name, no English
    assert list(config) == list(shown.columns)


def test_the_import_preview_shows_stored_words_in_words_and_amounts_in_their_own_currency(monkeypatch):
    from dashboard import ui

    monkeypatch.setattr(ui, "lang", lambda: "ja")
    lines = pd.DataFrame({"account_id": ["A"], "kind": ["one_time"], "service_period": ["2026-04-01/2026-04-30"],
                          "currency": ["USD"], "amount": [49.99]})
    shown, config = ui.dataset_table("invoice_lines", lines)
    assert shown.to_dict("records") == [{"顧客ID": "A", "種別": "一時費用", "利用期間": "2026/04/01～2026/04/30",
                                         "通貨": "米ドル", "金額": 49.99}]
    assert config["金額"]["type_config"]["format"] == "localized"  # the row's dollars, not the workspace's yen
    subs = pd.DataFrame({"interval": ["year", "half_year"], "discount_duration": ["3", "forever"]})
    assert ui.dataset_table("subscriptions", subs)[0].to_dict("list") == {
        "請求サイクル": ["年次", "半年"], "割引期間": ["3か月", "無期限"]}
    usage = pd.DataFrame({"measure": ["logins", "ログイン数"], "value": [3.0, 4.0]})
    assert ui.dataset_table("usage", usage)[0]["測定項目"].tolist() == ["ログイン数", "ログイン数"]
    rates = ui.dataset_table("fx_rates", pd.DataFrame({"rate": [0.0066]}))[1]
    assert rates["為替レート"]["type_config"]["format"] == "%.6g"  # 0.0066, not 0.007
    accounts = ui.dataset_table("accounts", pd.DataFrame({"mrr": [50000], "contract_start": [None]}))[1]
    assert accounts["MRR（月額）"]["type_config"]["format"] == "yen"
    assert accounts["契約開始日"]["type_config"]["format"] == "YYYY/MM/DD"


def test_the_simulator_downloads_are_headed_in_japanese():
    """The sensitivity (tornado) and heatmap CSVs: before, driver / low_value / … / gross_margin in English."""
    from dashboard import export, simulator, ui

    labels, values = ui._csv_words("ja")
    rows = simulator.labelled(simulator.saas_sensitivity(50_000, 0.02, 0.7), "ja")
    assert list(export.for_people(pd.DataFrame(rows), labels, values).columns) == [
        "変数", "低い値", "高い値", "低い値での結果", "高い値での結果", "基準の結果", "振れ幅"]
    heatmap = pd.DataFrame([[1.0, 2.0]], columns=[8000, 9000]).assign(gross_margin=[0.5])
    assert list(export.for_people(heatmap, labels, values).columns) == ["8000", "9000", "粗利率"]


def test_downloads_name_the_usage_measures_in_words():
    """The Account page's usage CSV and the health details: 'logins' was written as stored."""
    from dashboard import export, ui

    labels, values = ui._csv_words("ja")
    usage = pd.DataFrame({"measure": ["logins", "page_views", "days_since_contact", "問い合わせ件数"], "value": [1, 2, 3, 4]})
    assert export.for_people(usage, labels, values)["測定項目"].tolist() == [
        "ログイン数", "表示数", "最終接触からの日数", "問い合わせ件数"]

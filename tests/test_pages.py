"""Every page driven headless with streamlit.testing.v1.AppTest on the demo data."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, i18n, money, report
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database
from dashboard.i18n import integer
from dashboard.imports import formats, importer

APP = "../app/main.py"
PAGES = ["overview", "accounts", "tiers", "health", "churn", "d2c", "simulator", "data"]


def open_page(page: str, **session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    if page != "overview":
        at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_charts(app_db, page):
    at = open_page(page)
    if page not in ("data", "accounts"):  # the call list (the Accounts page's first tab) is a table
        assert len(at.get("plotly_chart")) >= 1
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        assert spec["layout"]["title"]["text"]  # every chart is titled
    assert at.title[0].value in {"概要", "要対応", "D2C リピート購入", "ティア分析", "ヘルススコア", "解約・継続", "LTV/CPA シミュレーター", "データ"}


def test_overview_kpis_match_the_metric_engine(app_db):
    at = open_page("overview")
    r = report.build(Database(app_db))
    cards = {m.label: m.value for m in at.metric}
    assert cards["有効顧客数"] == integer(r["accounts_active"]) == "288"  # 281 billed monthly, 7 by subscription
    assert cards["MRR"] == money.card(r["mrr"], "ja") and cards["MRR"].endswith("万")  # ¥39,895,000 does not fit a card at 1024 px
    last = r["mrr_movements"][-1]
    assert cards["NRR（12か月）"] == f"{last['nrr_12m'] * 100:.1f}%"
    oct_churn = next(c for c in r["churn"] if c["period_start"] == "2026-10-01")
    assert cards["顧客解約率（2026/10）"] == f"{oct_churn['customer_churn_rate'] * 100:.2f}%"


def test_english_switch(app_db):
    at = open_page("overview", lang="en")
    assert at.title[0].value == "Overview"
    assert "Active accounts" in [m.label for m in at.metric]


def upload_on_data_page(dataset: str | None, name: str, body: bytes, mime: str = "text/csv") -> AppTest:
    """The Data page with ``body`` chosen in its uploader as ``name`` (for ``dataset``; None: the default)."""
    at = open_page("data")
    if dataset:
        at.selectbox(key="up_dataset").set_value(dataset).run()
    at.file_uploader(key="up_file").upload(name, body, mime).run()
    assert not at.exception
    return at


def test_upload_through_the_widget_commits_a_snapshot(app_db):
    body = "取引先ID,接触日,対応種別\r\nC10001,2026/10/30,QBR\r\nC10002,来週,電話\r\n".encode("cp932")
    at = upload_on_data_page("touchpoints", "接点_追加.csv", body)
    assert any("Shift_JIS（CP932）" in c.value for c in at.caption)  # the encoding it found, in words
    assert any("取り込めない行: 1行" in e.label for e in at.expander)
    # the preview is headed in words, as the mapping names the columns (no stored name such as account_id)
    headers = [list(d.value.columns) for d in at.dataframe]
    assert ["顧客ID", "日付", "種別", "担当CSM", "メモ"] in headers and ["行", "列", "理由"] in headers
    at.button[[b.label for b in at.button].index("この内容で取り込む")].click().run()
    assert any("接点_追加.csv を取り込みました: 1行（除外 1行）" in s.value for s in at.success)
    rows = Database(app_db).query("SELECT account_id, kind FROM cur_touchpoints")
    assert rows.values.tolist() == [["C10001", "QBR"]]


def test_taking_the_file_away_removes_its_staged_copy(app_db):
    body = "取引先ID,接触日,対応種別\r\nC10001,2026/10/30,QBR\r\n".encode("cp932")
    at = upload_on_data_page("touchpoints", "接点.csv", body)
    (plan,) = at.session_state["up_plans"].values()
    assert plan.stage.dir.is_dir()
    at.file_uploader(key="up_file").clear().run()
    assert not at.exception and not plan.stage.dir.exists()  # not left until the session ends
    assert "up_plans" not in at.session_state


def test_the_settings_history_names_each_setting_in_words(app_db):
    from dashboard import settings as S

    db = Database(app_db)
    S.put(db, "fiscal_year_start", 4, by=EDITOR)
    S.put(db, "tier_rule", "manual", by=EDITOR)
    at = open_page("data")
    history = next(d.value for d in at.dataframe if list(d.value.columns) == ["changed_at", "changed_by", "key", "value"])
    assert history[["key", "value"]].values.tolist()[:2] == [["ティアの決め方", "manual"], ["年度の開始月", "4"]]
    assert set(history["changed_by"][:2]) == {i18n.t("local_user", "ja")}  # not 'local'


def test_a_usage_upload_names_its_measures_in_words(app_db):
    body = "取引先ID,日付,ログイン数,表示数\r\nC10001,2026/10/30,5,12\r\n".encode("cp932")
    at = upload_on_data_page("usage", "利用状況_追加.csv", body)
    captions = [c.value for c in at.caption if "←" in c.value]
    assert captions == ["指標の列: ログイン数 ← ログイン数, 表示数 ← 表示数"]  # not logins / page_views


def test_an_old_excel_file_is_refused_on_the_data_page_in_words_with_what_to_do(app_db):
    before = Database(app_db).content_fingerprint()
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # how an Excel 97-2003 workbook starts
    at = upload_on_data_page(None, "取引先一覧.xls", ole2, "application/vnd.ms-excel")
    # the browser offers exactly the table's formats (AppTest itself does not hold an upload to them)
    types = list(at.file_uploader(key="up_file").proto.type)
    assert types == [f".{t}" for t in formats.uploader_types()] and ".xls" in types and len(set(types)) == len(types)
    assert [e.value for e in at.error] == [
        "取引先一覧.xls: 古いExcel形式（.xls）は読めません。Excelで開き、Excelブック（.xlsx）かCSVで保存し直してください。"]
    assert "この内容で取り込む" not in [b.label for b in at.button]
    assert Database(app_db).content_fingerprint() == before


def test_filters_go_into_the_url_and_come_back(app_db):
    at = open_page("churn")
    at.date_input(key="f_as_of").set_value(__import__("datetime").date(2026, 6, 30)).run()
    assert at.query_params["as_of"] in ("2026-06-30", ["2026-06-30"])
    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params["as_of"] = "2026-06-30"
    again.query_params["tier"] = ["Tier1"]
    again.run()
    assert again.date_input(key="f_as_of").value.isoformat() == "2026-06-30"
    assert again.multiselect(key="f_tier").value == ["Tier1"]


def test_churn_grain_switch(app_db):
    at = open_page("churn")
    at.segmented_control(key="churn_grain").set_value("week").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "週" in spec["layout"]["title"]["text"]


def test_empty_database_shows_the_way_in(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "empty.duckdb"))
    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))
    at = open_page("overview")
    assert "まだデータがありません" in at.info[0].value
    at.button[[b.label for b in at.button].index("デモデータを読み込む")].click().run()
    assert not at.exception and len(at.metric) == 8


@pytest.fixture
def users(tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    auth.add_user("lead", "pw-lead-2026x", "editor", path)
    auth.add_user("exec", "pw-exec-2026x", "viewer", path)
    monkeypatch.setenv("DASHBOARD_USERS", str(path))
    return path


def test_login_is_required_when_users_exist(app_db, users):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.metric and not at.get("plotly_chart")
    at.text_input[0].input("exec")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert "パスワードが違います" in at.error[0].value
    at.text_input[1].input("pw-exec-2026x")
    at.button[0].click().run()
    assert len(at.metric) == 8


def test_repeated_failed_logins_lock_the_name(app_db, users):
    auth.FAILURES.clear("lead")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.text_input[0].input("lead")
    for _ in range(auth.MAX_FAILURES):
        at.text_input[1].input("not-the-password")
        at.button[0].click().run()
    at.text_input[1].input("pw-lead-2026x")  # right, but too late
    at.button[0].click().run()
    assert "ロック" in at.error[0].value and not at.metric
    auth.FAILURES.clear("lead")


def test_viewer_cannot_upload_restore_or_change_settings(app_db, users, tmp_path):
    newer = tmp_path / "accounts_next.csv"  # an earlier snapshot now exists, so there is something to restore
    newer.write_text("id,mrr,contract_start\nA,100,2024-01-01\n")
    importer.import_file(Database(app_db), newer, "accounts", confirm_replace=True, by=EDITOR)
    at = open_page("data", user=auth.User("exec", "viewer"))
    assert not at.file_uploader
    assert "閲覧者はデータの取り込み" in at.info[0].value
    assert "戻す" not in [b.label for b in at.button]
    assert all(s.disabled for s in at.selectbox)
    with pytest.raises(auth.NotAllowed):
        auth.require_editor(auth.User("exec", "viewer"))
    editor = open_page("data", user=auth.User("lead", "editor"))
    assert editor.file_uploader and "戻す" in [b.label for b in editor.button]


def test_editor_changes_tier_thresholds(app_db):
    at = open_page("tiers")
    at.number_input[0].set_value(300_000)
    at.number_input[1].set_value(100_000)
    at.button[[b.label for b in at.button].index("保存")].click().run()
    assert not at.exception
    assert "¥300,000" in at.markdown[0].value and "¥100,000" in at.markdown[0].value


def test_simulator_sliders_and_shared_url(app_db):
    at = open_page("simulator")
    cards = {m.label: m.value for m in at.metric}
    assert cards["LTV（売上）"] == "¥11,600" and cards["許容CPA"] == "¥5,800"
    assert cards["許容できるメール会員獲得単価"] == "¥1,160"
    assert cards["ROI（コストに対する倍率）"] == "6.5×" and cards["期待契約年数"] == "1.43"
    assert cards["計画に必要な担当者数"] == "5.0"  # 650,000 planned new MRR / 130,000 per rep
    assert any("AOV" in c.value and "リピート率" in c.value for c in at.caption)  # the demo's orders, beside the model
    at.slider(key="sim_aov").set_value(10_000).run()
    assert {m.label: m.value for m in at.metric}["LTV（売上）"] == "¥14,500"
    assert at.query_params["sim_aov"] in ("10000", ["10000"])
    shared = AppTest.from_file(APP, default_timeout=120)
    shared.query_params["sim_aov"] = "9000"
    shared.query_params["sim_margin"] = "40"
    shared.run()
    shared.switch_page("../pages/simulator.py").run()
    cards = {m.label: m.value for m in shared.metric}
    # 9,000 x 1.45 = 13,050; x 40% = 5,220
    assert cards["LTV（売上）"] == "¥13,050" and cards["許容CPA"] == "¥5,220"


def test_simulator_calibrates_from_the_data(app_db):
    at = open_page("simulator")
    at.button[[b.label for b in at.button].index("自分のデータから設定")].click().run()
    db = Database(app_db)
    # AOV over each customer's first 365 days (METRICS.md: over a horizon from the first purchase)
    orders = db.query("""
        SELECT count(*) AS n, sum(amount) AS s FROM cur_orders o
        JOIN (SELECT customer_id, min(order_date) AS first FROM cur_orders GROUP BY 1) f USING (customer_id)
        WHERE o.order_date < f.first + 365""")
    assert at.slider(key="sim_aov").value == round(orders["s"][0] / orders["n"][0])
    active = report.build(db)
    assert at.number_input(key="sim_arpa").value == round(active["mrr"] / active["accounts_active"])


def test_database_held_by_another_process_gets_a_clear_message(app_db, monkeypatch):
    from dashboard.db import DatabaseBusy

    at = open_page("overview")

    def busy(self):
        raise DatabaseBusy(self.path)

    monkeypatch.setattr(Database, "data_version", busy)
    at.run()
    assert not at.exception
    assert "他の処理（定期取り込みなど）" in at.error[0].value


def test_a_partial_accounts_file_asks_before_replacing(app_db):
    at = open_page("data")
    at.selectbox(key="up_dataset").set_value("accounts").run()
    body = "取引先ID,会社名,月額(税抜),備考\r\nC10001,株式会社テスト,50000,メモ\r\n".encode("cp932")
    at.file_uploader(key="up_file").upload("顧客_一部.csv", body, "text/csv").run()
    assert not at.exception
    assert any("取り込まれない見出し: 備考" in c.value for c in at.caption)
    assert any("キー328件のうち327件が消えます（ファイルには1件）" in w.value for w in at.warning), [w.value for w in at.warning]
    commit = at.button[[b.label for b in at.button].index("この内容で取り込む")]
    assert commit.disabled
    before = Database(app_db).content_fingerprint()
    at.checkbox(key="up_confirm_replace").check().run()
    at.button[[b.label for b in at.button].index("この内容で取り込む")].click().run()
    assert not at.exception
    assert any("顧客_一部.csv を取り込みました: 1行" in s.value for s in at.success)
    assert Database(app_db).content_fingerprint() != before
    assert Database(app_db).query("SELECT account_id, mrr FROM cur_accounts").values.tolist() == [["C10001", 50000]]


def test_append_mode_on_the_page(app_db):
    at = open_page("data")
    at.selectbox(key="up_dataset").set_value("touchpoints").run()
    at.segmented_control(key="up_mode_touchpoints").set_value("append").run()
    body = "取引先ID,接触日,対応種別\r\nC10001,2026/10/30,QBR\r\n".encode("cp932")
    before = Database(app_db).query("SELECT count(*) AS n FROM cur_touchpoints")["n"][0]
    at.file_uploader(key="up_file").upload("接点_10月末.csv", body, "text/csv").run()
    at.button[[b.label for b in at.button].index("この内容で取り込む")].click().run()
    assert not at.exception
    after = Database(app_db).query("SELECT count(*) AS n FROM cur_touchpoints")["n"][0]
    assert after == before + 1


def test_a_usd_workspace_shows_cents_exactly(tmp_path, monkeypatch):
    from dashboard import settings

    path = tmp_path / "usd.duckdb"
    db = Database(path)
    settings.put(db, "currency", "USD", by=EDITOR)
    csv = tmp_path / "mrr.csv"
    csv.write_text("account_id,month,mrr\nA1,2026-08,29.85\nA1,2026-09,29.85\nA2,2026-08,$100.10\n"
                   "A2,2026-09,$100.10\nA2,2026-10,US$100.10\nA3,2026-10,\"US$1,234.50\"\n")
    importer.import_file(db, csv, "mrr", by=EDITOR)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.setenv("DASHBOARD_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    at = open_page("overview", lang="en")
    cards = {m.label: m.value for m in at.metric}
    assert cards["MRR"] == "$1,334.60"  # 100.10 + 1,234.50 on Oct 31; A1 left at the end of September
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "$%{y:,.2f}" in json.dumps(spec)  # hover shows dollars and cents


@pytest.mark.parametrize("page, params", [
    ("churn", {"from": "2023-04-01"}),
    ("churn", {"as_of": "2020-01-01"}),
    ("churn", {"as_of": "garbage", "from": "2099-01-01"}),
    ("simulator", {"sim_aov": "999999"}),
    ("simulator", {"sim_churn": "0"}),
    ("simulator", {"sim_purchases": "garbage"}),
    ("simulator", {"sim_purchases": "1:-5", "sim_arpa": "nan", "sim_renew": "1e9"}),
])
def test_links_with_bad_parameters_never_crash(app_db, page, params):
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    if page == "simulator":
        assert at.slider(key="sim_aov").value <= 50000 and at.slider(key="sim_churn").value >= 0.1


def test_accounts_page_call_list_matches_the_results_and_filters(app_db):
    from dashboard import views

    db = Database(app_db)
    q = views.caller(db)
    as_of = report.R.call(db, "default_as_of")
    at = open_page("accounts")
    calls = q("at_risk", as_of=as_of)
    cards = {m.label: m.value for m in at.metric}
    assert cards["対象の顧客"] == integer(len(calls)) and len(calls) > 0
    table = at.dataframe[0].value
    expected = views.at_risk_actions(q, as_of, "ja", limit=200)
    assert list(table["name"]) == list(expected["name"])
    assert table["next_action"].str.len().gt(0).all()  # every account gets an action
    assert all(len(r) > 0 for r in table["reasons"])  # and at least one reason in words
    # yellow too, renewing within 30 days: the list is the result's, nothing else
    at.session_state["calls_bands"] = ["red", "yellow"]
    at.session_state["calls_window"] = 30
    at.run()
    narrowed = q("at_risk", as_of=as_of, bands=["red", "yellow"], within_days=30)
    assert {m.label: m.value for m in at.metric}["対象の顧客"] == integer(len(narrowed))
    assert set(at.dataframe[0].value["days_to_renewal"]) <= set(range(1, 31))
    # renewals tab (only the open tab runs): the 90-day card is the renewals result
    assert "更新予定（90日以内）" not in {m.label for m in at.metric}
    at.session_state["accounts_tab"] = "更新"
    at.run()
    due = views.renewal_windows(q, as_of)
    assert {m.label: m.value for m in at.metric}["更新予定（90日以内）"] == integer(due[90]["accounts"])


def test_viewer_sees_the_rules_but_cannot_edit_them(app_db, users):
    at = open_page("accounts", user=auth.User("exec", "viewer"))
    assert not at.get("data_editor") and not [b for b in at.button if b.key == "rules_save"]
    editor = open_page("accounts", user=auth.User("lead", "editor"))
    assert [b for b in editor.button if b.key == "rules_save"]


def test_d2c_page_shows_the_same_figures_as_the_results(app_db):
    from dashboard.views import call

    db = Database(app_db)
    as_of = call(db, "default_as_of")
    at = open_page("d2c")
    cards = {m.label: m.value for m in at.metric}
    s365 = call(db, "d2c_summary", as_of=as_of, horizon_days=365)
    assert cards["顧客数"] == f"{s365['customers']:,}" and cards["リピート率"] == f"{s365['repeat_rate']:.1%}"
    assert cards["AOV"] == money.card(s365["aov"], "ja")
    at.session_state["d2c_horizon"] = 90
    at.session_state["d2c_mature"] = True
    at.run()
    s90 = call(db, "d2c_summary", as_of=as_of, horizon_days=90, mature_only=True)
    assert {m.label: m.value for m in at.metric}["リピート率"] == f"{s90['repeat_rate']:.1%}"
    assert s90["repeat_rate"] != s365["repeat_rate"]
    # channels: one row per first-order channel, customers adding up to the (unfiltered) 90-day summary
    channels = at.dataframe[0].value
    assert channels["customers"].sum() == call(db, "d2c_summary", as_of=as_of, horizon_days=90)["customers"]


def test_passwords_users_and_lockout(tmp_path, capsys):
    from dashboard import cli

    path = tmp_path / "users.toml"
    with pytest.raises(ValueError, match="at least 12"):
        auth.add_user("short", "five5", "viewer", path)
    auth.add_user("sato", "sato-password-1", "viewer", path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # five failures lock the name for 15 minutes, the right password included; then it opens again
    auth.FAILURES.clear("sato")
    for i in range(auth.MAX_FAILURES):
        assert auth.authenticate("sato", "wrong-password!", path, now=1000.0 + i) is None
    with pytest.raises(auth.Locked):
        auth.authenticate("sato", "sato-password-1", path, now=1010.0)
    assert auth.authenticate("sato", "sato-password-1", path, now=1004.0 + auth.LOCK_SECONDS) == auth.User("sato", "viewer")
    # the command line: list, passwd (12+), remove; no password is ever printed
    import os
    os.environ["DASHBOARD_USERS"] = str(path)
    try:
        assert cli.main(["user", "list"]) == 0
        assert '"user": "sato"' in capsys.readouterr().out
        assert cli.main(["user", "passwd", "sato", "--password", "short"]) == 2
        assert "at least 12" in capsys.readouterr().err
        assert cli.main(["user", "passwd", "sato", "--password", "a-new-password-22"]) == 0
        assert "a-new-password-22" not in capsys.readouterr().out
        assert auth.authenticate("sato", "a-new-password-22", path) is not None
        assert cli.main(["user", "remove", "nobody"]) == 2
        assert cli.main(["user", "remove", "sato"]) == 0
        assert auth.list_users(path) == []
    finally:
        del os.environ["DASHBOARD_USERS"]


def test_the_health_distribution_counts_every_scored_account_once(app_db):
    """The histogram is binned in SQL: its bars add up, tier by tier, to the account list's scored accounts."""
    import datetime as dt

    from dashboard import results

    at = open_page("health")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = {trace["name"]: trace for trace in spec["data"] if trace["type"] == "bar"}
    listed = results.run(Database(app_db), "accounts", as_of=dt.date(2026, 10, 31))
    scored = listed[listed["score"].notna()].groupby("tier").size().to_dict()

    def total(trace) -> int:
        y = trace["y"]
        if isinstance(y, dict):  # plotly sends numeric arrays as typed base64
            import base64

            import numpy as np
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
        return int(sum(y))
    assert {tier: total(trace) for tier, trace in bars.items()} == scored
    assert sum(scored.values()) == 288  # every active account of the demo has a score


def test_an_as_of_day_after_the_data_shows_figures_as_of_its_end(app_db):
    """?as_of=2026-12-06 on the demo, whose data ends 2026/10/31: NRR read 0.0%, revenue churn 100%, the
    MRR trend fell to 0 after October. Months after the data's end are unknown: the page says so and
    shows the figures as of 2026/10/31, and the sidebar says how old the data is."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as_of"] = "2026-12-06"
    at.run()
    assert not at.exception
    assert any("2026/12/06" in w.value and "2026/10/31" in w.value for w in at.warning)
    assert any(c.value.startswith("データの最終日 2026/10/31（") for c in at.sidebar.caption)
    at_end = open_page("overview", f_as_of=__import__("datetime").date(2026, 10, 31))
    assert {m.label: m.value for m in at.metric} == {m.label: m.value for m in at_end.metric}
    cards = {m.label: m.value for m in at.metric}
    assert cards["NRR（12か月）"] != "0.0%"
    for chart in at.get("plotly_chart"):  # no month after October is drawn, at zero or otherwise
        for trace in json.loads(chart.proto.spec)["data"]:
            xs = [x for x in trace.get("x") or [] if isinstance(x, str) and x[:4].isdigit() and len(x) >= 7]
            assert all(x[:7] <= "2026-10" for x in xs), (trace.get("name"), xs[-3:])
    r = report.build(Database(app_db), as_of=__import__("datetime").date(2026, 12, 6))
    assert (r["as_of"], r["as_of_requested"], r["data_ends"]) == ("2026-10-31", "2026-12-06", "2026-10-31")
    assert r["mrr_movements"][-1]["month"] == "2026-10-01" and r["mrr_movements"][-1]["nrr_12m"] > 0.9


def test_accounts_without_mrr_history_are_said_not_silently_left_out(app_db, tmp_path):
    """5 new accounts with 月額 and no MRR rows: the cards stayed at 281 (288 now) with no word. They are still not
    counted (figures come from the MRR history) but the Overview says how many and lists them."""
    new = tmp_path / "new_accounts.csv"
    new.write_text("取引先ID,会社名,月額,契約開始日\n" + "".join(
        f"N{i},新規{i}株式会社,{50_000 * i},2026/9/1\n" for i in range(1, 6)), encoding="utf-8")
    importer.import_file(Database(app_db), new, "accounts", mode="upsert", by=EDITOR)
    at = open_page("overview")
    assert {m.label: m.value for m in at.metric}["有効顧客数"] == "288"
    notice = [e for e in at.expander if "5 社" in e.label and "請求履歴" in e.label]
    assert notice, [e.label for e in at.expander]
    listed = notice[0].dataframe[0].value
    assert sorted(listed["account_id"]) == ["N1", "N2", "N3", "N4", "N5"]
    assert float(listed["mrr"].sum()) == 750_000
    r = report.build(Database(app_db))
    assert sorted(r["accounts_without_mrr_history"]) == ["N1", "N2", "N3", "N4", "N5"]
    assert any(e.label.startswith("Accounts without MRR history: 5 in") for e in open_page("overview", lang="en").expander)


def test_without_new_accounts_there_is_no_notice(app_db):
    assert not [e for e in open_page("overview").expander if "請求履歴" in e.label]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_suggested_weights_that_validate_worse_are_said_not_offered(app_db, lang):
    """On the demo the validation's suggested weights would lower the red band's 90-day churn (4.61% ->
    3.88%) and the score's ROC AUC: the page shows both validations side by side, says why nothing is
    offered, and has no button to accept them."""
    from dashboard.i18n import t

    at = open_page("health", lang=lang)
    assert t("suggestion_not_better", lang) in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "accept_weights"]
    preview = next(d.value for d in at.dataframe if "churn_rate_suggested" in d.value.columns)
    red = preview.set_index("band").loc[t("red", lang)]
    assert f"{red['churn_rate_now']:.2%}" == "4.61%" and f"{red['churn_rate_suggested']:.2%}" == "3.88%"
    assert t("preview_auc", lang, now="0.742", suggested="0.739") in [c.value for c in at.caption]


# -- the simulator's saved scenarios, share link and language (issue 26, items 11 and 13) -------------------
APP_URL = "http://cs.example.jp:8501/"
# Every driver away from its default: a link or a scenario that brings them all back brings back each one.
DRIVERS = {"aov": 9000, "purchases": "1:0.6,2:0.3,4:0.1", "margin": 45, "conv": 25, "roas": 1.5, "arpa": 120_000,
           "churn": 3.5, "smargin": 70, "cac": 900_000, "cost": 800_000, "newmrr": 150_000, "cschurn": 2.5,
           "plan": 800_000, "acv": 1_500_000, "renew": 40, "rmargin": 75}


def _simulator(params: dict | None = None, **session) -> AppTest:
    """The simulator page as a browser at APP_URL opens it (st.context.url), with a link's parameters."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.context = {"url": APP_URL}
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("../pages/simulator.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_saved_scenarios_are_kept_in_the_database_for_every_session(app_db):
    before = Database(app_db).data_version()
    at = _simulator(**{f"sim_{k}": v for k, v in DRIVERS.items()})
    at.text_input(key="scenario_name").input("強気プラン").run()
    _button(at, "シナリオを保存").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert Database(app_db).data_version() == before  # saving a scenario invalidates no cached figure
    # a new session (a reload, another user) sees it, loads it, and every driver comes back
    again = _simulator()
    assert again.session_state["sim_aov"] == 8000
    picker = next(s for s in again.selectbox if s.label == "保存済みのシナリオ")
    assert picker.options == ["強気プラン"]
    _button(again, "前提を読み込む").click().run()
    assert not again.exception, [e.message for e in again.exception]
    assert {k: again.session_state[f"sim_{k}"] for k in DRIVERS} == DRIVERS
    assert again.query_params["sim_plan"] in ("800000", ["800000"])
    # the comparison table: labelled rows, formatted cells (9,000 x 1.6 purchases x 45% / 1.5 = ¥4,320)
    table = again.dataframe[-1].value  # after the drivers' table on the D2C tab
    assert table.loc["D2C: 許容CPA", "強気プラン"] == "¥4,320"
    assert table.loc["年間契約: 期待契約年数", "強気プラン"] == "1.67年"  # 1 / (1 - 40%)


def test_a_viewer_loads_and_compares_scenarios_but_cannot_save(app_db, users):
    from dashboard import scenarios

    scenarios.save(Database(app_db), "上期計画", DRIVERS, by=EDITOR)
    at = _simulator(user=auth.User("exec", "viewer"))
    save = _button(at, "シナリオを保存")
    assert save.disabled and "閲覧者はシナリオを保存できません" in save.help
    _button(at, "前提を読み込む").click().run()
    assert at.session_state["sim_acv"] == 1_500_000 and at.dataframe[-1].value.columns.tolist() == ["上期計画"]
    with pytest.raises(auth.NotAllowed):  # and the server refuses it whatever a page shows
        scenarios.save(Database(app_db), "閲覧者の案", DRIVERS, by=auth.User("exec", "viewer"))


def test_the_share_link_is_a_whole_url_that_reopens_every_driver(app_db):
    import urllib.parse

    at = _simulator(**{f"sim_{k}": v for k, v in DRIVERS.items()})
    link = at.code[0].value
    assert link.startswith(APP_URL + "simulator?"), link
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert query["sim_plan"] == ["800000"] and query["lang"] == ["ja"]
    opened = _simulator({k: v[0] for k, v in query.items()})
    assert {k: opened.session_state[f"sim_{k}"] for k in DRIVERS} == DRIVERS
    assert opened.number_input(key="sim_plan").value == 800_000
    assert opened.code[0].value == link


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_simulator_names_its_drivers_in_the_users_language(app_db, lang):
    at = _simulator(lang=lang)
    raw = {"aov", "repeat", "gross_margin", "target_roas", "arpa", "monthly_churn"}
    tornados = [json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if "±20%" in json.loads(c.proto.spec)["layout"]["title"]["text"]]
    assert len(tornados) == 2
    labels = {y for spec in tornados for trace in spec["data"] for y in trace["y"]}
    assert labels and not labels & raw, labels
    _button(at, "自分のデータから設定" if lang == "ja" else "Calibrate from my data").click().run()
    shown = " ".join(m.value for m in at.expander[0].markdown)
    if lang == "ja":
        assert "注文データ: 顧客" in shown and "時点の有効顧客" in shown and "orders:" not in shown, shown
        years = next(m for m in at.metric if m.label == "期待契約年数")
        assert years.value == "1.43" and years.delta == "+0.32（更新率10%との差）"
        assert not [m.delta for m in at.metric if m.delta and "vs" in m.delta]
    else:
        assert "orders: " in shown and "accounts active on" in shown and "≤" not in shown, shown


def test_a_snapshot_restore_asks_first_and_says_what_it_did(app_db, tmp_path):
    """Restore changed the data at the first click, and its success message was wiped by the rerun."""
    newer = tmp_path / "accounts_next.csv"
    newer.write_text("id,mrr,contract_start\nA,100,2024-01-01\n")
    importer.import_file(Database(app_db), newer, "accounts", confirm_replace=True, by=EDITOR)
    db = Database(app_db)
    current = int(db.query("SELECT snapshot_id FROM snapshots WHERE is_current AND dataset = 'accounts'").iloc[0, 0])
    at = open_page("data")
    pick = at.selectbox(key="restore_pick").value
    at.button[[b.label for b in at.button].index("戻す")].click().run()
    assert any(f"スナップショット #{pick}（顧客、" in w.value for w in at.warning)  # asked, nothing changed yet
    assert int(db.query("SELECT snapshot_id FROM snapshots WHERE is_current AND dataset = 'accounts'").iloc[0, 0]) == current
    at.button(key="restore_no").click().run()
    assert not any("スナップショット #" in w.value for w in at.warning)
    at.button[[b.label for b in at.button].index("戻す")].click().run()
    at.button(key="restore_yes").click().run()
    assert not at.exception
    assert any(f"スナップショット {pick} を現在のデータにしました" in s.value for s in at.success)
    assert int(db.query("SELECT snapshot_id FROM snapshots WHERE is_current AND dataset = 'accounts'").iloc[0, 0]) == pick


def test_saving_unchanged_settings_writes_nothing(app_db):
    """The settings form wrote all three settings on every save: three new data versions, three re-preparations."""
    version = Database(app_db).data_version()
    at = open_page("data")
    at.button[[b.label for b in at.button].index("保存")].click().run()
    assert any("保存しました" in s.value for s in at.success)
    assert Database(app_db).data_version() == version


def test_the_fiscal_year_start_is_a_month_name_in_english(app_db):
    """The English UI offered 'month 4' for the fiscal year's first month."""
    at = open_page("data", lang="en")
    picker = next(s for s in at.selectbox if s.label == "Fiscal year starts in")
    assert picker.options[3] == "April" and picker.value == 4
    assert open_page("data").selectbox[[s.label for s in open_page("data").selectbox].index("年度の開始月")].options[3] == "4月"


def test_the_action_rules_editor_shows_no_none(app_db):
    """Limits a rule does not set read 'None' in the editor: they are blank numbers."""
    at = open_page("accounts")
    frame = next(d.value for d in at.dataframe if "max_days_to_renewal" in d.value.columns)
    assert not (frame.astype(str) == "None").any().any()
    assert str(frame["max_days_to_renewal"].dtype) == "Float64"


def test_saving_health_settings_says_so_after_the_rerun(app_db):
    """Saving the health settings re-scores for seconds with nothing shown, and said nothing after."""
    version = Database(app_db).data_version()
    at = open_page("health")
    at.number_input[[n.label for n in at.number_input].index("赤（要注意）")].set_value(35)
    at.button(key="save_health").click().run()
    assert not at.exception
    assert any("保存しました" in s.value for s in at.success)
    assert Database(app_db).data_version() == version + 1

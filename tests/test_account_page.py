"""One page per account (issue 29): who it is, its MRR timeline (its rows of the movements), health and why,
usage, touchpoints and deals; reachable from the sidebar's search and from every account list; the same as
JSON from `python -m dashboard account ID`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dashboard import views
from dashboard.results import run

AS_OF = dt.date(2026, 10, 31)


def test_the_timeline_is_the_account_s_rows_of_the_movements(db, load):
    # A: new ¥10,000 in Jan, ¥15,000 in Feb (expansion 5,000), nothing in Mar (churn 15,000), back in Apr at
    # ¥12,000 (reactivation). B: ¥20,000 Jan-Apr, ¥18,000 in Apr (contraction 2,000). Each month's movements
    # are the sum of the two accounts' rows.
    load("mrr", "account_id,month,mrr\n" + "".join(f"{a},2026-{m:02d}-01,{v}\n" for a, m, v in [
        ("A", 1, 10000), ("A", 2, 15000), ("A", 4, 12000),
        ("B", 1, 20000), ("B", 2, 20000), ("B", 3, 20000), ("B", 4, 18000)]))
    as_of = dt.date(2026, 4, 30)
    a = run(db, "account_mrr", as_of=as_of, account_id="A")
    assert a.assign(month=a["month"].astype(str))[["month", "mrr", "movement", "amount"]].values.tolist() == [
        ["2026-01-01", 10000, "new", 10000], ["2026-02-01", 15000, "expansion", 5000],
        ["2026-03-01", 0, "churn", 15000], ["2026-04-01", 12000, "reactivation", 12000]]
    b = run(db, "account_mrr", as_of=as_of, account_id="B")
    moves = run(db, "mrr_movements", as_of=as_of, from_month=dt.date(2026, 1, 1)).set_index("month")
    both = pd.concat([a, b])
    for movement in ("new", "expansion", "contraction", "churn", "reactivation"):
        per_month = both[both["movement"] == movement].groupby("month")["amount"].sum()
        for month, row in moves.iterrows():
            assert per_month.get(month, 0) == row[movement], (movement, month)


def test_search_finds_an_account_by_part_of_its_name_or_id_in_any_width(db, load):
    load("accounts", "account_id,name,contract_start\nC10004,株式会社①髙﨑製作所,2025-01-01\nC20001,青葉クラウド,2025-01-01\n")
    q = views.caller(db)
    assert views.search_accounts(q, "髙﨑")["account_id"].tolist() == ["C10004"]
    assert views.search_accounts(q, "ｃ２０００")["account_id"].tolist() == ["C20001"]  # full-width, lower case
    assert views.search_accounts(q, "' OR 1=1 --").empty  # bound, never pasted into SQL
    assert views.search_accounts(q, "  ").empty


@pytest.mark.slow
def test_every_demo_account_s_rows_add_up_to_the_movements(app_db):
    from dashboard.db import Database

    db = Database(app_db)
    q = views.caller(db)
    start = dt.date(2026, 5, 1)
    moves = run(db, "mrr_movements", as_of=AS_OF, from_month=start).set_index("month")
    ids = db.query("SELECT DISTINCT account_id FROM mrr_history WHERE month >= DATE '2026-04-01'")["account_id"]
    rows = pd.concat([q("account_mrr", as_of=AS_OF, account_id=i) for i in ids])
    rows = rows[rows["month"] >= pd.Timestamp(start)]
    for movement in ("new", "expansion", "contraction", "churn", "reactivation", "fx"):
        got = rows.groupby("month")["fx"].sum() if movement == "fx" else \
            rows[rows["movement"] == movement].groupby("month")["amount"].sum()
        for month, row in moves.iterrows():
            assert got.get(month, 0) == row[movement], (movement, month)


@pytest.mark.slow
def test_the_command_line_prints_the_account_whole(app_db):
    out = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(app_db), "account", "C20005"],
                         capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    assert list(found) == ["as_of", *views.ACCOUNT_SECTIONS]
    assert found["profile"]["name"] == "東和ロジスティクス株式会社" and found["profile"]["mrr"] == 200000
    assert found["profile"]["days_to_renewal"] == 18 and found["profile"]["active"] is True
    july = next(r for r in found["mrr"] if r["month"] == "2026-07-01")
    assert (july["movement"], july["amount"], july["mrr"]) == ("expansion", 120000, 200000)
    assert found["health"]["bands"] == {"red_below": 40, "green_from": 70}
    assert found["health"]["history"][-1]["day"] == "2026-10-31"
    missing = subprocess.run([sys.executable, "-m", "dashboard", "--db", str(app_db), "account", "NOPE"],
                             capture_output=True, text=True, env={**__import__("os").environ, "DASHBOARD_LANG": "ja"})
    assert missing.returncode == 2 and missing.stderr.strip() == "顧客「NOPE」は見つかりません。"


@pytest.mark.slow
def test_the_account_page_shows_one_account_whole(app_db):
    from tests.test_pages import open_page

    at = open_page("overview")
    at.query_params["account"] = "C20005"
    at.switch_page("../pages/account.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "東和ロジスティクス株式会社"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MRR"] == "¥200,000" and metrics["契約更新日"] == "2026/11/18" and metrics["担当CSM"] == "渡辺"
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert titles[0].startswith("MRRの推移") and "各月末" in titles[0]
    y = charts[0]["data"][0]["y"]
    y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist() if isinstance(y, dict) else y
    assert y[-5:] == [80000, 200000, 200000, 200000, 200000]  # June, then July to October after the upgrade
    # a search in the sidebar lists the account as a link to this page
    at.sidebar.text_input(key="account_search").set_value("東和").run()
    links = at.get("page_link")
    found = [link.proto for link in links if link.proto.label == "東和ロジスティクス株式会社"]
    assert len(found) == 1 and found[0].help == "C20005" and "account=C20005" in str(found[0])


@pytest.mark.slow
def test_an_unknown_account_says_so(app_db):
    from tests.test_pages import open_page

    at = open_page("overview")
    at.query_params["account"] = "NOPE"
    at.switch_page("../pages/account.py").run()
    assert not at.exception
    assert at.warning[0].value == "顧客「NOPE」は見つかりません。"


def test_a_month_of_usage_is_summed_or_averaged_as_health_reads_the_measure(db, load):
    # logins 3 and 4 on two days of April: 7 (summed); active users 10 and 20: 15 (health averages them)
    load("accounts", "account_id,name,contract_start\nA,甲,2026-01-01\n")
    load("usage", "account_id,date,logins,active_users\nA,2026-04-01,3,10\nA,2026-04-02,4,20\n")
    found = views.account(views.caller(db), "A", dt.date(2026, 4, 30), "ja")
    usage = found["usage"].set_index("measure")["value"].to_dict()
    assert usage == {"active_users": 15, "logins": 7}


@pytest.mark.slow
def test_the_account_page_ignores_the_sidebar_filters_and_shows_fx_months(app_db):
    from tests.test_pages import open_page

    # filtered to another owner's accounts, C20005 (渡辺) still shows its tier, score and measures
    at = open_page("overview", f_owner=["佐藤"])
    at.query_params["account"] = "C20005"
    at.switch_page("../pages/account.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["ティア"] == "Tier1" and metrics["スコア"] == "59"
    # C20007 pays in dollars: months moved only by the rate are listed as 為替変動
    at.query_params["account"] = "C20007"
    at.run()
    table = at.dataframe[0].value.set_index("month")
    june = table.loc[pd.Timestamp(2026, 6, 1)]
    assert (june["movement"], june["fx"], june["mrr"]) == ("為替変動", 2840, 292440)

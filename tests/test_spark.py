"""The Spark engine computes the same figures as DuckDB (results/engines.py, results/spark_sql.py).

Every result the pages open on, run on both engines over the demo data and over a fixture of edge cases,
must agree: counts and money exactly, rates and scores within 1e-12. Needs Java and pyspark: skipped
with the reason when they are missing (scripts/test.sh installs both).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import pandas as pd
import pytest

from dashboard import cli, report
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database
from dashboard.results import RESULTS, Scope, engines, result_store, runner, spark_sql
from tests.test_billing_mrr import REPORT_SUBS

REASON = engines.java_missing()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"Spark engine: {REASON}")
# Spark binds where its host name resolves (another interface than the loopback here): told 127.0.0.1
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

AS_OF = dt.date(2026, 10, 31)  # the demo's last day
START = dt.date(2025, 10, 1)


def same_figures(spark: pd.DataFrame, local: pd.DataFrame, name: str) -> None:
    assert list(spark.columns) == list(local.columns), name
    assert len(spark) == len(local), name
    for column in local.columns:
        a, b = spark[column].reset_index(drop=True), local[column].reset_index(drop=True)
        if pd.api.types.is_float_dtype(b) or pd.api.types.is_float_dtype(a):
            pd.testing.assert_series_equal(a.astype("float64"), b.astype("float64"), check_exact=False,
                                           rtol=0, atol=1e-12, obj=f"{name}.{column}")
        else:
            assert a.astype(object).where(a.notna(), None).tolist() == b.astype(object).where(b.notna(), None).tolist(), \
                f"{name}.{column}"


def on_both(db: Database, engine: engines.SparkEngine, name: str, params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Result ``name`` computed on Spark and here."""
    local = runner.run(db, name, **params)
    with engines.using(engine):
        return runner.run(db, name, **params), local


@pytest.fixture(scope="module")
def demo_spark(demo_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    path = folder / "demo.duckdb"
    shutil.copy(demo_file, path)
    db = Database(path)
    engine = engines.SparkEngine(engines.export_datasets(db, folder / "datasets"), master="local[2]")
    yield db, engine
    engine.stop()


# Edge cases (dates are the first day not a customer, as in the exports):
# M1 churns mid-month (Mar 15) after starting mid-month; M2 contracts to zero in Feb and comes back in Apr
# (reactivation); M3 expands, then contracts; M4 starts in the last month; M5 has a plan no one else has
# and no industry (an "(none)" segment). April is the fiscal year's first month (the default).
EDGE = {
    "accounts": """account_id,name,plan,industry,owner,contract_start,churn_date,renewal_date,tier
M1,Mid,Pro,IT,田中,2023-11-10,2024-03-15,2024-11-10,
M2,Back,Basic,小売,佐藤,2023-10-01,,2024-10-01,
M3,Grow,Pro,IT,田中,2023-09-01,,2024-09-01,
M4,New,Basic,小売,佐藤,2024-06-03,,2025-06-03,
M5,Solo,Enterprise,,鈴木,2023-12-01,,2024-12-01,
""",
    "mrr": "account_id,month,mrr\n" + "".join(
        f"{a},{m},{v}\n" for a, m, v in [
            ("M1", "2023-11", 1000.5), ("M1", "2023-12", 1000.5), ("M1", "2024-01", 1000.5), ("M1", "2024-02", 1000.5),
            ("M1", "2024-03", 1000.5),
            ("M2", "2023-10", 300), ("M2", "2023-11", 300), ("M2", "2023-12", 300), ("M2", "2024-01", 300),
            ("M2", "2024-02", 0), ("M2", "2024-03", 0), ("M2", "2024-04", 250), ("M2", "2024-05", 250),
            ("M2", "2024-06", 250),
            *[("M3", f"2023-{m:02d}", 500) for m in range(9, 13)], ("M3", "2024-01", 800), ("M3", "2024-02", 800),
            ("M3", "2024-03", 800), ("M3", "2024-04", 650), ("M3", "2024-05", 650), ("M3", "2024-06", 650),
            ("M4", "2024-06", 120.25),
            *[("M5", f"{y}-{m:02d}", 2000) for y, ms in ((2023, [12]), (2024, range(1, 7))) for m in ms]]),
    "usage": "account_id,date,logins,page_views\n" + "".join(
        f"{a},2024-{m:02d}-{d:02d},{lg},{pv}\n" for a, m, d, lg, pv in [
            ("M2", 5, 10, 3, 40), ("M2", 6, 12, 1, 10), ("M3", 4, 2, 9, 120), ("M3", 6, 20, 12, 300),
            ("M4", 6, 15, 2, 25), ("M5", 5, 5, 0, 0), ("M5", 6, 1, 1, 5), ("M1", 2, 1, 4, 50)]),
    "touchpoints": "account_id,date,kind\nM3,2024-06-10,call\nM5,2024-03-01,mail\nM1,2024-01-05,call\n",
}
EDGE_AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def edge_spark(tmp_path_factory):
    from dashboard.imports import importer

    folder = tmp_path_factory.mktemp("edge")
    db = Database(folder / "edge.duckdb")
    for dataset, text in EDGE.items():
        path = folder / f"{dataset}.csv"
        path.write_text(text, encoding="utf-8")
        result = importer.import_file(db, path, dataset, by=EDITOR)
        assert not result["rows_rejected"], result["errors"]
    engine = engines.SparkEngine(engines.export_datasets(db, folder / "datasets"), master="local[2]")
    yield db, engine
    engine.stop()


EDGE_VIEWS = [
    *[("churn", {"as_of": EDGE_AS_OF, "grain": g, "start": dt.date(2023, 10, 1)})
      for g in ("day", "week", "month", "quarter", "fiscal_year")],
    ("churn", {"as_of": EDGE_AS_OF, "grain": "month", "start": dt.date(2023, 10, 1), "segment_by": "industry"}),
    ("churn", {"as_of": EDGE_AS_OF, "grain": "quarter", "start": dt.date(2023, 10, 1), "segment_by": "tier"}),
    ("mrr_movements", {"as_of": EDGE_AS_OF, "from_month": dt.date(2023, 9, 1)}),
    ("cohorts", {"as_of": EDGE_AS_OF, "from_month": dt.date(2023, 9, 1)}),
    ("accounts", {"as_of": EDGE_AS_OF}),
    ("accounts", {"as_of": dt.date(2024, 3, 14)}),  # the day before M1's mid-month churn
    ("tier_summary", {"as_of": EDGE_AS_OF}),
    ("tier_migration", {"as_of": EDGE_AS_OF, "d1": dt.date(2023, 12, 31)}),
    ("health_scores", {"as_of": EDGE_AS_OF, "days": [dt.date(2024, 4, 30), dt.date(2024, 5, 31), EDGE_AS_OF]}),
    ("renewal_rates", {"as_of": EDGE_AS_OF, "grain": "quarter", "start": dt.date(2023, 10, 1)}),
    ("upsell_rates", {"as_of": EDGE_AS_OF, "grain": "quarter", "start": dt.date(2023, 10, 1)}),
    ("filter_values", {}),
]


@pytest.mark.parametrize("name,params", EDGE_VIEWS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EDGE_VIEWS)])
def test_edge_cases_are_the_same_on_spark(edge_spark, name, params):
    same_figures(*on_both(*edge_spark, name, params), name)


def test_an_empty_segment_is_empty_on_both(edge_spark):
    db, engine = edge_spark
    nobody = Scope.of(owner=["誰もいない"])
    local = runner.run(db, "accounts", nobody, as_of=EDGE_AS_OF)
    with engines.using(engine):
        spark = runner.run(db, "accounts", nobody, as_of=EDGE_AS_OF)
    assert local.empty and spark.empty and list(spark.columns) == list(local.columns)


def test_an_error_spark_raises_is_one_line_not_its_stack(edge_spark, tmp_path):
    """What Spark raises while computing (here: no datasets where it reads) is an EngineError of one line:
    the command line prints it, never a Py4J stack."""
    db, _ = edge_spark
    engine = engines.SparkEngine(tmp_path / "no-datasets", master="local[2]")
    try:
        with pytest.raises(engines.EngineError, match="PATH_NOT_FOUND") as caught, engines.using(engine):
            runner.run(db, "accounts", as_of=EDGE_AS_OF)
        assert "\n" not in str(caught.value)
    finally:
        engine.stop()


def test_the_edge_cases_read_as_worked_out_by_hand(edge_spark):
    """The fixture does what its comment says (on Spark; the parity tests hold DuckDB to the same)."""
    db, engine = edge_spark
    with engines.using(engine):
        moves = runner.run(db, "mrr_movements", as_of=EDGE_AS_OF, from_month=dt.date(2023, 9, 1))
        march = runner.run(db, "churn", as_of=EDGE_AS_OF, grain="month", start=dt.date(2024, 3, 1))
    by_month = moves.set_index(moves["month"].dt.date)
    assert by_month.loc[dt.date(2024, 2, 1), "contraction"] == 0 and by_month.loc[dt.date(2024, 2, 1), "churn"] == 300
    assert by_month.loc[dt.date(2024, 4, 1), "reactivation"] == 250  # M2 back after two months at zero
    # M1 leaves on Mar 15: no customer at March's end (whatever March was billed), so March's churn is its
    # February MRR, and April has none (one timeline: the churn table says the same of March)
    assert by_month.loc[dt.date(2024, 3, 1), "churn"] == 1000.5 and by_month.loc[dt.date(2024, 4, 1), "churn"] == 0
    assert by_month.loc[dt.date(2024, 4, 1), "contraction"] == 150  # M3 800 -> 650
    row = march.set_index(march["period_start"].dt.date).loc[dt.date(2024, 3, 1)]
    assert (row["customers_at_start"], row["customers_churned"]) == (3, 1)  # M1 on Mar 15 (M2 already out)
    assert row["mrr_churned"] == 1000.5 and row["mrr_at_start"] == by_month.loc[dt.date(2024, 3, 1), "start"] == 3800.5


@pytest.mark.parametrize("fixture", ["demo_spark", "edge_spark"])
def test_the_report_is_the_same_json_on_both_engines(request, fixture):
    db, engine = request.getfixturevalue(fixture)
    local = report.jsonable(report.build(db))
    with engines.using(engine):
        spark = report.jsonable(report.build(db))
    assert spark == local


# One dataset each, as a team loads its first file (issue 26, item 6): no usage means no health measures
# (an empty list of them), no MRR history means no spells, and so on. The report is the same JSON on both
# engines, from the command line, never a traceback.
ORDERS = "customer_id,order_date,amount,order_id,channel\n" + "".join(
    f"{c},2024-{m:02d}-{d:02d},{a},O{i},{ch}\n" for i, (c, m, d, a, ch) in enumerate([
        ("D1", 1, 5, 4800, "web"), ("D1", 3, 9, 5200.5, "web"), ("D2", 2, 14, 9800, "store"),
        ("D3", 4, 1, 3000, "web"), ("D2", 6, 20, -1200, "store"), ("D4", 6, 28, 7000, "")]))
# MRR derived from billing exports (issue 27): a subscription list, and invoice lines with an annual contract, a
# setup fee and a gap (churn, then reactivation)
INVOICE_LINES = ("invoice_id,invoice_date,account_id,item,amount,service_start,service_end\n"
                 "I1,2025-04-01,L1,年間利用料,1200000,2025-04-01,2026-03-31\nI2,2025-04-01,L1,初期費用,100000,,\n"
                 "I3,2025-05-01,L2,月額利用料,50000,2025-05-01,2025-05-31\nI4,2025-07-01,L2,月額利用料,50000,2025-07-01,2025-07-31\n"
                 "I5,2026-04-01,L3,月額利用料,30000,2026-04-01,2026-04-30\n")
ONE_DATASET = {"accounts": EDGE["accounts"], "mrr": EDGE["mrr"], "orders": ORDERS, "usage": EDGE["usage"],
               "subscriptions": REPORT_SUBS, "invoice_lines": INVOICE_LINES}


@pytest.fixture(scope="module")
def one_dataset_stores(tmp_path_factory):
    from dashboard.imports import importer

    stores = {}
    for dataset, text in ONE_DATASET.items():
        folder = tmp_path_factory.mktemp(f"only-{dataset}")
        db = Database(folder / "store.duckdb")
        (folder / f"{dataset}.csv").write_text(text, encoding="utf-8")
        result = importer.import_file(db, folder / f"{dataset}.csv", dataset, by=EDITOR)
        assert not result["rows_rejected"], result["errors"]
        stores[dataset] = folder / "store.duckdb"
    return stores


@pytest.mark.parametrize("dataset", list(ONE_DATASET))
def test_a_store_of_one_dataset_reports_the_same_on_spark(one_dataset_stores, dataset, capfd):
    path = str(one_dataset_stores[dataset])
    assert cli.main(["--db", path, "report"]) == 0
    local = json.loads(capfd.readouterr().out)
    code = cli.main(["--db", path, "report", "--engine", "spark", "--spark-master", "local[2]"])
    out, err = capfd.readouterr()
    assert "Traceback" not in err and code == 0, err[-3000:]
    assert json.loads(out) == local


@pytest.mark.parametrize("name,params", EDGE_VIEWS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EDGE_VIEWS)])
def test_every_list_a_result_binds_reaches_spark_typed_when_empty(edge_spark, name, params):
    """An empty list is an untyped ARRAY() on Spark (ARRAY<VOID>), which no generator or comparison takes:
    every list a result binds, emptied, is translated into a typed empty array."""
    from sqlglot import exp, parse_one

    db, engine = edge_spark
    text, values, _ = runner._build(name, {**RESULTS[name].defaults, **params}, Scope(),
                                    lambda other, **p: runner.call(db, other, **p), engine)
    lists = [k for k, v in values.items() if isinstance(v, list)]
    tree = parse_one(spark_sql.to_spark(text, {k: ([] if k in lists else v) for k, v in values.items()}),
                     read="spark")
    # typed: cast to a list type, or the empty branch SQLGlot writes for DuckDB's range() beside the
    # SEQUENCE(…) of the other (Spark widens ARRAY<VOID> to that branch's type)
    untyped = [a.parent.sql("spark") for a in tree.find_all(exp.Array)
               if not a.expressions and not (isinstance(a.parent, exp.Cast) and a.parent.to.expressions)
               and not (isinstance(a.parent, exp.If) and isinstance(a.parent.args.get("false"), exp.GenerateSeries))]
    assert untyped == [], f"{name} binds {lists}"


@pytest.mark.parametrize("what", ["accounts", "at-risk"])
def test_the_exported_lists_are_the_same_on_spark(demo_spark, what, tmp_path, capfd):
    """export --engine spark (issue 26, item 8): the account list and the call list, byte for byte."""
    db, engine = demo_spark
    assert engine.spark is not None  # started: the command line's engine shares it
    capfd.readouterr()
    files = {}
    for name, more in (("duckdb", []), ("spark", ["--engine", "spark", "--spark-master", "local[2]",
                                                  "--spark-data", engine.data])):
        files[name] = tmp_path / f"{what}-{name}.csv"
        code = cli.main(["--db", str(db.path), "export", what, "--out", str(files[name]), *more])
        out, err = capfd.readouterr()
        assert code == 0 and "Traceback" not in err, err[-3000:]
    assert files["spark"].read_bytes() == files["duckdb"].read_bytes()
    assert files["duckdb"].read_bytes().count(b"\n") > 1, "an empty list proves nothing"


def test_the_sql_is_translated_or_refused_never_passed_through():
    text = spark_sql.to_spark("SELECT tier_of(m, t, $t1, $t2, false) AS tier FROM x WHERE d <= $as_of::DATE",
                              {"t1": 100000, "t2": 30000.5, "as_of": AS_OF})
    assert "CASE" in text and "tier_of" not in text.lower()  # the macro's body, not its name
    assert "CAST('2026-10-31' AS DATE)" in text and "$" not in text
    evil = spark_sql.to_spark("SELECT * FROM x WHERE owner = $owner", {"owner": "田中' OR '1'='1"})
    assert "'田中'' OR ''1''=''1'" in evil or "'田中\\' OR \\'1\\'=\\'1'" in evil  # one quoted literal
    with pytest.raises(spark_sql.UnsupportedSQL):
        spark_sql.to_spark("SELECT * FROM x WHERE d <= $missing", {})


# The results no page opens on by default (tabs, one account, the CLI), and some derived ones (computed
# locally from a result Spark computed).
DEMO_MORE = [
    ("contacts_before_churn", {"as_of": AS_OF}),
    ("pipeline", {"as_of": AS_OF}),
    ("won_by_month", {"as_of": AS_OF, "from_month": START}),
    ("score_history", {"as_of": AS_OF, "days": [dt.date(2026, 8, 31), dt.date(2026, 9, 30), AS_OF], "account_id": "C10001"}),
    ("health_validation", {"as_of": AS_OF, "days": [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]}),
    ("health_scores", {"as_of": AS_OF, "days": [dt.date(2026, 9, 30), AS_OF]}),
    ("at_risk", {"as_of": AS_OF, "bands": ["red", "yellow"], "within_days": 90}),
    ("renewals_summary", {"as_of": AS_OF}),
    ("lowest_health", {"as_of": AS_OF}),
    # one account (the account page): the upgrade in July, the account paying in dollars (fx), one with deals
    ("account_profile", {"as_of": AS_OF, "account_id": "C20005"}),
    ("account_mrr", {"as_of": AS_OF, "account_id": "C20005"}),
    ("account_mrr", {"as_of": AS_OF, "account_id": "C20007"}),
    ("account_usage", {"as_of": AS_OF, "account_id": "C20005", "averaged": ["active_users"]}),
    ("account_touchpoints", {"as_of": AS_OF, "account_id": "C20005"}),
    ("account_opportunities", {"as_of": AS_OF, "account_id": "C10004"}),
    ("account_search", {"needle": "東和"}),
    # the accounts behind a figure (the drill page): September's movements, October's (fx), a churn period,
    # a cohort cell, a quarter of upsell
    ("movement_accounts", {"as_of": AS_OF, "month": dt.date(2026, 9, 1)}),
    ("movement_accounts", {"as_of": AS_OF, "month": dt.date(2026, 10, 1)}),
    ("churn_accounts", {"as_of": AS_OF, "start": START, "grain": "month", "period_start": dt.date(2026, 10, 1)}),
    ("cohort_accounts", {"as_of": AS_OF, "cohort": dt.date(2025, 11, 1), "k": 3}),
    ("upsell_accounts", {"as_of": AS_OF, "start": dt.date(2024, 10, 1), "grain": "quarter",
                         "period_start": dt.date(2026, 7, 1)}),
]
DEMO_VIEWS = result_store.page_views(AS_OF, START) + DEMO_MORE


def test_every_result_has_a_parity_case():
    covered = {name for name, _ in DEMO_VIEWS + EDGE_VIEWS}
    missing = [name for name, result in RESULTS.items() if name not in covered and not result.source]
    assert missing == [], f"no Spark parity case for {missing}: add one to DEMO_MORE or EDGE_VIEWS"


@pytest.mark.parametrize("name,params", DEMO_VIEWS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(DEMO_VIEWS)])
def test_the_demo_results_are_the_same_on_spark(demo_spark, name, params):
    spark, local = on_both(*demo_spark, name, params)
    # the demo's accounts all have MRR history (that notice's rows: tests/test_pages.py, DuckDB only)
    assert len(local) or name == "accounts_without_mrr", f"{name}: an empty result proves nothing"
    same_figures(spark, local, name)


def test_with_the_spark_setting_the_pages_first_views_are_computed_on_spark(demo_file, tmp_path, monkeypatch):
    """engine=spark: after a change, prepare exports the datasets and keeps the pages' first views from
    Spark (any data size); the pages read them, equal to computing them here."""
    from dashboard import workspace

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    db = Database(path)
    computed_on = []
    original = engines.SparkEngine.rows

    def rows(self, db_, sql, values):
        computed_on.append("spark")
        return original(self, db_, sql, values)
    monkeypatch.setattr(engines.SparkEngine, "rows", rows)
    data = tmp_path / "datasets"
    workspace.put_setting(db, "engine", {"name": "spark", "data": str(data), "master": "local[2]"}, by=EDITOR)
    assert engines.exported_version(data) == db.data_version()  # written for this data
    from dashboard.views import caller

    views = result_store.page_views(AS_OF, START) + result_store.extra_views(AS_OF, caller(db))
    kept = db.read(lambda con: con.execute("SELECT count(*) FROM kept_results").fetchone()[0])
    assert kept == len({(n, repr(sorted(p.items()))) for n, p in views}) and len(computed_on) >= kept
    for name, params in [("accounts", {"as_of": AS_OF}), ("churn", {"as_of": AS_OF, "grain": "month", "start": START})]:
        from_spark = runner.run(db, name, **params)  # read from the kept table Spark filled
        monkeypatch.setattr(result_store, "find", lambda *a: None)
        same_figures(from_spark, runner.run(db, name, **params), name)
        monkeypatch.undo()
        monkeypatch.setattr(engines.SparkEngine, "rows", rows)


def test_health_with_a_sparse_measure_is_the_same_on_spark(tmp_path):
    """Measures an account has no data for (left out of its score) and silent accounts (0), as in
    tests/test_metrics.py's hand-worked fixture: the same rows, scores and validation on both engines."""
    from dashboard.imports import importer
    from tests.test_metrics import SPARSE_USAGE, sparse_config

    db = Database(tmp_path / "sparse.duckdb")
    for dataset, text in (("accounts", "id,mrr,contract_start,churn_date\n" + "".join(
            f"{a},100,2024-01-01,{'2024-08-20' if a == 'A' else ''}\n" for a in "ABCDEF")), ("usage", SPARSE_USAGE)):
        path = tmp_path / f"{dataset}.csv"
        path.write_text(text, encoding="utf-8")
        importer.import_file(db, path, dataset, by=EDITOR)
    engine = engines.SparkEngine(engines.export_datasets(db, tmp_path / "datasets"), master="local[2]")
    try:
        as_of, days = dt.date(2024, 7, 1), [dt.date(2024, 6, 1), dt.date(2024, 7, 1)]
        for higher in (False, True):
            config = sparse_config(higher)
            for name, params in [("health_details", {"as_of": as_of}), ("accounts", {"as_of": as_of}),
                                 ("health_scores", {"as_of": as_of, "days": days}),
                                 ("health_validation", {"as_of": dt.date(2024, 12, 31), "days": days}),
                                 ("health_validation_bands", {"as_of": dt.date(2024, 12, 31), "days": days}),
                                 ("health_validation_score_auc", {"as_of": dt.date(2024, 12, 31), "days": days})]:
                spark, local = on_both(db, engine, name, {**params, "config": config})
                assert len(local), name
                same_figures(spark, local, f"{name} higher={higher}")
    finally:
        engine.stop()


def test_the_engine_setting_is_checked(db):
    from dashboard import settings

    with pytest.raises(ValueError, match="engine.data"):
        settings.put(db, "engine", {"name": "spark"}, by=EDITOR)
    with pytest.raises(ValueError, match="unknown key"):
        settings.put(db, "engine", {"name": "spark", "data": "/x", "cluster": "big"}, by=EDITOR)
    for timeout in (0, -1, True, "30", 10**6):
        with pytest.raises(ValueError, match="engine.timeout"):
            settings.put(db, "engine", {"name": "spark", "data": "/x", "timeout": timeout}, by=EDITOR)


def test_the_time_to_reach_a_cluster_is_a_setting_and_an_option(db, tmp_path, capsys):
    from dashboard import settings

    data = str(tmp_path / "datasets")
    assert cli.main(["--db", str(db.path), "engine", "spark", "--spark-data", data, "--spark-master",
                     "spark://127.0.0.1:7077", "--spark-timeout", "12"]) == 0
    assert json.loads(capsys.readouterr().out)["engine"]["timeout"] == 12
    assert engines.from_setting(db, settings.get(db, "engine")).timeout == 12
    assert engines.SparkEngine(data).timeout == engines.DEFAULT_TIMEOUT == 30
    for command in (["report"], ["export", "accounts", "--out", str(tmp_path / "a.csv")]):
        assert cli.build_parser().parse_args([*command, "--spark-timeout", "5"]).spark_timeout == 5
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args([*command, "--spark-timeout", "0"])
    assert "--spark-timeout: seconds, more than 0" in capsys.readouterr().err

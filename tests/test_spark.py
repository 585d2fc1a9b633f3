"""The Spark engine computes the same figures as DuckDB (results/engines.py, results/spark_sql.py).

Every result the pages open on, run on both engines over the demo data and over a fixture of edge cases,
must agree: counts and money exactly, rates and scores within 1e-12. Needs Java and pyspark: skipped
with the reason when they are missing (scripts/test.sh installs both).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from dashboard.db import Database
from dashboard.results import engines, result_store, runner, spark_sql

REASON = engines.java_missing()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"Spark engine: {REASON}")

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


@pytest.fixture(scope="module")
def demo_spark(demo_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    path = folder / "demo.duckdb"
    shutil.copy(demo_file, path)
    db = Database(path)
    engine = engines.SparkEngine(engines.export_datasets(db, folder / "datasets"), master="local[2]")
    yield db, engine
    engine.stop()


def test_the_sql_is_translated_or_refused_never_passed_through():
    text = spark_sql.to_spark("SELECT tier_of(m, t, $t1, $t2, false) AS tier FROM x WHERE d <= $as_of::DATE",
                              {"t1": 100000, "t2": 30000.5, "as_of": AS_OF})
    assert "CASE" in text and "tier_of" not in text.lower()  # the macro's body, not its name
    assert "CAST('2026-10-31' AS DATE)" in text and "$" not in text
    evil = spark_sql.to_spark("SELECT * FROM x WHERE owner = $owner", {"owner": "田中' OR '1'='1"})
    assert "'田中'' OR ''1''=''1'" in evil or "'田中\\' OR \\'1\\'=\\'1'" in evil  # one quoted literal
    with pytest.raises(spark_sql.UnsupportedSQL):
        spark_sql.to_spark("SELECT * FROM x WHERE d <= $missing", {})


@pytest.mark.parametrize("name,params", result_store.page_views(AS_OF, START),
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(result_store.page_views(AS_OF, START))])
def test_every_page_result_is_the_same_on_spark(demo_spark, name, params):
    db, engine = demo_spark
    local = runner.run(db, name, **params)
    with engines.using(engine):
        spark = runner.run(db, name, **params)
    assert len(local), f"{name}: an empty result proves nothing"
    same_figures(spark, local, name)

"""frames.fetch gives the frame DuckDB's .df() gives: the same columns, types and values, bit for bit."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dashboard import frames


@pytest.fixture
def con():
    con = duckdb.connect()
    yield con
    con.close()


def same_as_df(con, sql: str, params=None) -> pd.DataFrame:
    ours = frames.fetch(con, sql, params)
    theirs = con.execute(sql, params or {}).df()
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    assert list(ours.columns) == list(theirs.columns)
    return ours


# Every type our results return, with and without NULLs.
TYPES = """
SELECT 'acct-' || i AS account_id,
       CASE WHEN i % 4 = 0 THEN NULL ELSE '田中' || i END AS owner,
       (i * 12345.6789)::DECIMAL(18,4) AS mrr,
       CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 0.01)::DECIMAL(38,4) END AS delta,
       (i * 3)::DECIMAL(18,2) AS yen,
       DATE '2026-01-01' + i::INT AS day,
       CASE WHEN i % 3 = 0 THEN NULL ELSE DATE '2026-01-01' + i::INT END AS churn_date,
       TIMESTAMP '2026-11-23 09:00:00' + INTERVAL (i) MINUTE AS imported_at,
       i::INT AS n, i::BIGINT AS big, i::SMALLINT AS small, i::HUGEINT AS huge,
       CASE WHEN i % 2 = 0 THEN NULL ELSE i END::INT AS n_null,
       CASE WHEN i % 2 = 0 THEN NULL ELSE i END::BIGINT AS big_null,
       i % 2 = 0 AS flag, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS flag_null,
       i / 7 AS rate, CASE WHEN i % 6 = 0 THEN NULL ELSE i / 7 END AS rate_null,
       ['Tier1', 'Tier2'] AS tiers, [i, i + 1] AS ints, NULL AS nothing,
       TIME '09:30:00' AS at_time
FROM range(2000) r(i)
"""


def test_every_result_type_comes_back_as_df_gives_it(con):
    frame = same_as_df(con, TYPES)
    assert frame.loc[1, "mrr"] == 12345.6789 and frame.loc[3, "yen"] == 9.0
    assert frame["n_null"].dtype == "Int32" and frame["flag_null"].dtype == "boolean"
    assert frame["day"].dtype == "datetime64[us]"


def test_no_rows_and_all_null_columns(con):
    same_as_df(con, TYPES + " LIMIT 0")
    same_as_df(con, "SELECT NULL::INT AS a, NULL::DECIMAL(18,4) AS b, NULL::DATE AS c, NULL::VARCHAR AS d")


def test_decimals_are_the_nearest_double_as_duckdb_converts_them(con):
    # Arrow's own decimal-to-double cast differs from DuckDB's in the last place for ~1 value in 8:
    # a million random amounts at each scale our SQL uses, with NULLs among them.
    con.execute("SELECT setseed(0.25)").fetchall()
    for typ in ("DECIMAL(18,4)", "DECIMAL(38,4)", "DECIMAL(18,2)", "DECIMAL(38,6)"):
        sql = (f"CREATE OR REPLACE TABLE amounts AS SELECT CASE WHEN random() < 0.01 THEN NULL "  # noqa: S608
               f"ELSE ((random() * 2 - 1) * 1e9)::{typ} END AS d FROM range(1000000)")
        con.execute(sql).fetchall()
        same_as_df(con, "SELECT d FROM amounts")


def test_what_cannot_convert_the_same_way_falls_back_to_df(con):
    # an unscaled value over 2^53 (not exact in a double), and types outside the list: .df() itself
    same_as_df(con, "SELECT 12345678.1234567891::DECIMAL(38,10) AS d")
    same_as_df(con, "SELECT MAP {'k': 1} AS m, 'ab'::BLOB AS b, INTERVAL 3 DAY AS i")


def test_bound_values_and_repeated_names(con):
    frame = same_as_df(con, "SELECT $a AS x, x + 1 AS x FROM (SELECT 1) t(x) WHERE $b", {"a": 5, "b": True})
    assert list(frame.columns) == ["x", "x_1"] and frame.iloc[0].tolist() == [5, 2]
    assert list(same_as_df(con, "SELECT 1 x, 2 x, 3 x, 4 x_1, 5 X").columns) == ["x", "x_1", "x_2", "x_1_1", "X_3"]
    assert same_as_df(con, "SELECT unnest(?) AS id", [["a", "b"]])["id"].tolist() == ["a", "b"]

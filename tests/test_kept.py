"""What is kept in the database instead of recomputed gives the figures computed afresh.

Health scores (results/health_store.py): every result that reads health gives the same figures from the
kept rows as scored inside its own query, over filters, other configurations and new data; the scores of
a new import or configuration are never read from an older one. Spells read the kept runs of the MRR
history (schema.refresh_kept) and equal those numbered from the history on every day."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pandas as pd
import pytest

from dashboard import settings as S
from dashboard import validation, views
from dashboard.auth import LOCAL_USER as EDITOR
from dashboard.db import Database
from dashboard.imports import importer
from dashboard.periods import month_ends, validation_days
from dashboard.results import Scope, health_store, result_store, run, runner
from dashboard.results.health_weights import with_weights
from tests.oracles import band, roc_auc

AS_OF = dt.date(2026, 10, 31)
START = dt.date(2025, 11, 1)
CALLS = [
    ("accounts", {"as_of": AS_OF}),
    ("accounts", {"as_of": dt.date(2026, 9, 30), "compare": False}),
    ("health_scores", {"as_of": AS_OF, "days": month_ends(START, AS_OF)}),
    ("band_history", {"as_of": AS_OF, "days": month_ends(START, AS_OF)}),
    ("health_details", {"as_of": AS_OF}),
    ("lowest_health", {"as_of": AS_OF}),
    ("tier_health_mix", {"as_of": AS_OF}),
    ("health_validation", {"as_of": AS_OF, "days": validation_days(AS_OF), "horizon_days": 90}),
    ("health_validation_bands", {"as_of": AS_OF, "days": validation_days(AS_OF), "horizon_days": 90}),
]


@pytest.fixture
def demo_db(demo_file, tmp_path) -> Database:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_file, path)
    return Database(path)


def same(got: pd.DataFrame, expected: pd.DataFrame, name: str = "") -> None:
    """Equal figures: money and counts exactly; scores to 1e-12 (a score is a sum of doubles, added in
    the order the threads meet them). Rows in key order: two accounts whose scores are equal in exact
    arithmetic may come in either order when a list is sorted by score."""
    keys = [c for c in ("as_of", "day", "band", "tier", "account_id", "measure") if c in got.columns]

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(keys).reset_index(drop=True) if keys else frame
    pd.testing.assert_frame_equal(ordered(got), ordered(expected), check_exact=False, rtol=1e-12, atol=1e-12,
                                  obj=name or "frame")


def scored_inline(monkeypatch, db, name, scope=None, **params) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(health_store, "ensure", lambda *a, **k: None)
        return views.caller(db, scope)(name, **params)


def kept_days(db) -> int:
    return db.read(lambda con: con.execute("SELECT count(*) FROM kept_health_days").fetchone()[0])


@pytest.mark.parametrize("scope", [Scope(), Scope.of({"tier": ["Tier1"]}), Scope.of({"owner": ["佐藤", "鈴木"]})],
                         ids=["all", "tier1", "two-owners"])
def test_kept_scores_give_the_figures_scored_in_the_query(demo_db, monkeypatch, scope):
    assert kept_days(demo_db) == 0
    for name, params in CALLS:
        inline = scored_inline(monkeypatch, demo_db, name, scope, **params)
        kept = views.caller(demo_db, scope)(name, **params)
        assert len(inline) > 0, name
        same(kept, inline, name)
    # each account's score per day kept beside its measure rows: one row per (day, account) of them
    pairs = demo_db.query("SELECT count(*) AS n FROM (SELECT DISTINCT as_of, day, account_id FROM kept_health_parts)")["n"][0]
    assert demo_db.query("SELECT count(*) AS n FROM kept_health_scores")["n"][0] == pairs > 0
    # 2 + 1 + 13 month ends (as_of among them) + 6 validation days, each kept once per as-of day
    assert kept_days(demo_db) == len({AS_OF, AS_OF - dt.timedelta(days=30), *month_ends(START, AS_OF),
                                      *validation_days(AS_OF)}) + 1


def test_a_second_run_reads_the_kept_rows_without_writing(demo_db, monkeypatch):
    first = views.caller(demo_db)("accounts", as_of=AS_OF)
    monkeypatch.setattr(Database, "write", lambda *a, **k: pytest.fail("kept scores were scored again"))
    again = views.caller(demo_db)("accounts", as_of=AS_OF)
    same(first, again)


def test_prepare_keeps_the_days_the_pages_open_on(demo_db, monkeypatch):
    assert result_store.prepare(demo_db)["health_days"] == 0  # the demo is small: scored on the first visit
    assert result_store.prepare(demo_db, force=True)["health_days"] == 21
    as_of = views.caller(demo_db)("default_as_of")
    assert as_of == AS_OF  # the demo's last day
    monkeypatch.setattr(Database, "write", lambda *a, **k: pytest.fail("a page's default day was not prepared"))
    q = views.caller(demo_db)
    views.kpis(q, AS_OF)
    q("health_scores", as_of=AS_OF, days=month_ends(START, AS_OF))
    validation.health_validation(demo_db, AS_OF)


def test_new_data_is_scored_anew(demo_db, tmp_path, monkeypatch):
    before = views.caller(demo_db)("accounts", as_of=AS_OF).set_index("account_id")["score"]
    # one account stops using the product for the whole window: its score must fall, and only the
    # new data's scores are read
    account = before.idxmax()
    usage = demo_db.query("SELECT account_id, date, measure, value FROM cur_usage")
    usage = usage[~((usage["account_id"] == account) & (usage["date"] > pd.Timestamp(AS_OF - dt.timedelta(days=90))))]
    wide = usage.pivot_table(index=["account_id", "date"], columns="measure", values="value").reset_index()
    path = tmp_path / "usage.csv"
    wide.to_csv(path, index=False)
    importer.import_file(demo_db, path, "usage", by=EDITOR)
    after = views.caller(demo_db)("accounts", as_of=AS_OF).set_index("account_id")["score"]
    inline = scored_inline(monkeypatch, demo_db, "accounts", as_of=AS_OF).set_index("account_id")["score"]
    pd.testing.assert_series_equal(after, inline, check_exact=False, rtol=1e-12, atol=1e-12)
    assert after[account] < before[account]
    keys = demo_db.query("SELECT DISTINCT data_key FROM kept_health_days")
    assert len(keys) == 2  # the old data's rows stay for a moment (a page run that began before the import)


def part_days(db) -> pd.DataFrame:
    """Each kept part's days: (source, part key, day, its rows). A part scored again would add its rows a
    second time (the time kept, kept_at, moves whenever a combination reads the part, so it says nothing)."""
    return db.query("SELECT d.source, d.part_key, d.day, (SELECT count(*) FROM kept_health_parts p WHERE "
                    "p.part_key = d.part_key AND p.as_of = d.as_of AND p.day = d.day) AS part_rows "
                    "FROM kept_health_part_days d ORDER BY ALL")


def test_a_touchpoints_import_scores_the_contact_measure_again_and_keeps_the_usage_measures(demo_db, tmp_path,
                                                                                          monkeypatch):
    days = [AS_OF, dt.date(2026, 9, 30)]
    q = views.caller(demo_db)
    q("health_scores", as_of=AS_OF, days=days)
    before = part_days(demo_db)
    assert set(before["source"]) == {"usage", "touchpoints"}
    # one account's last contact moves to the as-of day: its days since contact (and so its score) change
    touch = demo_db.query("SELECT * FROM cur_touchpoints")
    account = touch["account_id"].iloc[0]
    extra = touch.iloc[[0]].assign(date=pd.Timestamp(AS_OF))
    path = tmp_path / "touchpoints.csv"
    pd.concat([touch, extra]).to_csv(path, index=False)
    importer.import_file(demo_db, path, "touchpoints", by=EDITOR)
    after_scores = views.caller(demo_db)("health_scores", as_of=AS_OF, days=days)
    after = part_days(demo_db)
    usage_before, usage_after = before[before["source"] == "usage"], after[after["source"] == "usage"]
    # the usage part was not scored again: the same key, the same days, the same rows once
    pd.testing.assert_frame_equal(usage_after.reset_index(drop=True), usage_before.reset_index(drop=True))
    contact = after[after["source"] == "touchpoints"]
    assert set(contact["part_key"]) - set(before["part_key"])  # a new contact part under the new snapshot
    assert len(contact[~contact["part_key"].isin(before["part_key"])]) == len(days)
    # and the combined scores are those scored afresh in the query
    inline = scored_inline(monkeypatch, demo_db, "health_scores", as_of=AS_OF, days=days)
    same(after_scores, inline)
    new_parts = sorted(set(contact["part_key"]) - set(before["part_key"]))
    raw = demo_db.query("SELECT raw FROM kept_health_parts WHERE account_id = ? AND day = ? AND measure = ? "
                        "AND list_contains(?, part_key)", [account, AS_OF, "days_since_contact", new_parts])
    assert raw["raw"].tolist() == [0.0]  # contacted on the as-of day


@pytest.mark.parametrize("dataset, rows, first_new", [
    ("touchpoints", "account_id,date,kind\nC10263,2026-08-31,電話\nC10037,2026-08-31,訪問\n", dt.date(2026, 8, 31)),
    ("usage", "account_id,date,logins\nC10263,2026-08-15,900\nC10037,2026-08-15,0\n", dt.date(2026, 8, 15)),
])
def test_an_append_scores_only_the_days_from_its_first_new_row(demo_db, tmp_path, monkeypatch, caplog, dataset,
                                                             rows, first_new):
    """A day's part depends on its dataset's rows up to that day: after an append, the days before its first
    new row are carried over from the part kept before it, even one kept long ago (dropped in the same write),
    and the scores are still those scored afresh in the query."""
    days = month_ends(START, AS_OF)  # 12 month ends: 9 before the appended rows, 3 on or after them
    before = views.caller(demo_db)("health_scores", as_of=AS_OF, days=days)
    monkeypatch.setattr(health_store, "KEEP_STALE", dt.timedelta(0))  # the last refresh was yesterday
    path = tmp_path / f"{dataset}.csv"
    path.write_text(rows, encoding="utf-8")
    assert importer.import_file(demo_db, path, dataset, by=EDITOR, mode="append")["rows_loaded"] == 2
    with caplog.at_level("INFO", logger="dashboard.results.health_store"):
        after = views.caller(demo_db)("health_scores", as_of=AS_OF, days=days)
    later = [d for d in days if d >= first_new]
    assert len(later) == 3
    assert f"health part {dataset}: 3 days scored, 9 carried over" in caplog.messages
    assert "health scores: 3 days combined, 9 carried over" in caplog.messages
    inline = scored_inline(monkeypatch, demo_db, "health_scores", as_of=AS_OF, days=days)
    same(after, inline)

    def score(frame, day):
        return frame[(frame["account_id"] == "C10263") & (frame["day"] == pd.Timestamp(day))]["score"].item()
    # the appended rows move C10263's score that day (contacted, or 900 more logins): the rows scored afresh
    assert score(after, later[0]) != score(before, later[0])
    details = views.caller(demo_db)("health_details", as_of=AS_OF)
    same(details, scored_inline(monkeypatch, demo_db, "health_details", as_of=AS_OF))


def test_an_append_after_an_append_of_the_other_dataset_carries_the_scores_over(demo_db, tmp_path, caplog):
    """Usage was appended (and refreshed) before touchpoints is: the scores kept before are those of the
    appended usage and the touchpoints before their append, and the days before it are carried over."""
    days = month_ends(START, AS_OF)
    for dataset, rows in (("usage", "account_id,date,logins\nC10263,2026-08-15,900\n"),
                          ("touchpoints", "account_id,date,kind\nC10263,2026-08-31,電話\n")):
        path = tmp_path / f"{dataset}.csv"
        path.write_text(rows, encoding="utf-8")
        importer.import_file(demo_db, path, dataset, by=EDITOR, mode="append")
        with caplog.at_level("INFO", logger="dashboard.results.health_store"):
            views.caller(demo_db)("health_scores", as_of=AS_OF, days=days)
    assert "health scores: 3 days combined, 9 carried over" in caplog.messages[-1:]


def test_weights_alone_score_no_part_again_and_give_the_scores_scored_in_the_query(demo_db, monkeypatch):
    days = [AS_OF]
    q = views.caller(demo_db)
    q("health_scores", as_of=AS_OF, days=days)
    before = part_days(demo_db)
    config = q("health_config")
    heavier = with_weights(config, {m["name"]: (5.0 if i == 0 else 1.0) for i, m in enumerate(config["measures"])})
    S.put(demo_db, "health", heavier, by=EDITOR)
    kept = views.caller(demo_db)("health_scores", as_of=AS_OF, days=days)
    pd.testing.assert_frame_equal(part_days(demo_db), before)  # the same parts, none scored again
    assert len(demo_db.query("SELECT DISTINCT config_key FROM kept_health_days")) == 2
    same(kept, scored_inline(monkeypatch, demo_db, "health_scores", as_of=AS_OF, days=days))


def test_a_combination_reusing_parts_keeps_them_as_long_as_itself(demo_db):
    """Stale rows go by their kept_at, ten minutes after their data stopped being current: the rows of a
    combination (kept_health_days) and of the parts it reads (kept_health_part_days) each by their own. A
    new weighting reuses parts scored earlier; were their kept_at left at that earlier moment, a later import
    could drop the parts while the combination stays, and a restore of the data would then find its days
    kept and read no measure rows (health details empty beside their scores)."""
    days = [AS_OF]
    q = views.caller(demo_db)
    q("health_scores", as_of=AS_OF, days=days)
    config = q("health_config")
    heavier = with_weights(config, {m["name"]: (5.0 if i == 0 else 1.0) for i, m in enumerate(config["measures"])})
    S.put(demo_db, "health", heavier, by=EDITOR)
    kept = health_store.ensure(demo_db, runner.health_params(heavier, AS_OF), AS_OF, days)
    combined = demo_db.query("SELECT max(kept_at) AS t FROM kept_health_days WHERE config_key = ?",
                             [kept["health_key"]])["t"][0]
    parts = demo_db.query("SELECT min(kept_at) AS t, count(*) AS n FROM kept_health_part_days "
                          "WHERE list_contains(?, part_key) AND day = ?", [kept["health_parts"], AS_OF])
    assert parts["n"][0] == len(kept["health_parts"]) == 2  # the usage part and the contact part, reused
    assert parts["t"][0] >= combined


def test_rows_of_old_data_are_dropped_at_the_next_write(demo_db, monkeypatch):
    views.caller(demo_db)("accounts", as_of=AS_OF)
    snapshot = int(demo_db.query("SELECT max(snapshot_id) AS s FROM snapshots WHERE dataset = 'usage'")["s"][0])
    older = int(demo_db.query("SELECT min(snapshot_id) AS s FROM snapshots WHERE dataset = 'accounts'")["s"][0])
    assert snapshot and older
    monkeypatch.setattr(health_store, "KEEP_STALE", dt.timedelta(0))
    importer.restore(demo_db, older, by=EDITOR)  # the same accounts file again: new current snapshot set
    views.caller(demo_db)("accounts", as_of=AS_OF)
    assert len(demo_db.query("SELECT DISTINCT data_key FROM kept_health_scores")) == 1
    assert len(demo_db.query("SELECT DISTINCT data_key FROM kept_health_days")) == 1
    assert len(demo_db.query("SELECT DISTINCT part_key FROM kept_health_parts")) == 2  # usage's and contacts'
    assert len(demo_db.query("SELECT DISTINCT part_key FROM kept_health_part_days")) == 2


def test_another_configuration_is_scored_anew(demo_db, monkeypatch):
    q = views.caller(demo_db)
    first = q("accounts", as_of=AS_OF)
    config = q("health_config")
    S.put(demo_db, "health", with_weights(config, {m["name"]: (5.0 if i == 0 else 1.0)
                                                           for i, m in enumerate(config["measures"])}), by=EDITOR)
    second = views.caller(demo_db)("accounts", as_of=AS_OF)
    inline = scored_inline(monkeypatch, demo_db, "accounts", as_of=AS_OF)
    same(second, inline)
    assert not second["score"].equals(first["score"])
    assert len(demo_db.query("SELECT DISTINCT config_key FROM kept_health_days")) == 2


def test_a_read_only_database_scores_in_the_query(demo_db, monkeypatch):
    expected = scored_inline(monkeypatch, demo_db, "accounts", as_of=AS_OF)
    reader = Database(demo_db.path, read_only=True)
    got = run(reader, "accounts", as_of=AS_OF)
    same(got, expected)
    assert kept_days(reader) == 0


# The spells as the history defines them, numbered from mrr_history on each call (the definition before the
# runs were kept): the oracle for spells() reading kept_mrr_runs. A derived history's runs begin and end on the
# days its paying lines begin and stop (derived_mrr.paid_from in the first month, paid_until in the month after
# the last), each only once the as-of day has reached it.
SPELLS_FROM_HISTORY = """
    WITH hist AS (
        SELECT account_id, month,
               (year(month) * 12 + month(month)) - row_number() OVER (PARTITION BY account_id ORDER BY month) AS run
        FROM mrr_history WHERE mrr > 0 AND month <= $as_of
    ),
    horizon AS (SELECT max(month) AS last_month FROM mrr_history WHERE month <= $as_of),
    runs AS (SELECT account_id, min(month) AS first_month, max(month) AS last_month FROM hist GROUP BY account_id, run)
    SELECT r.account_id,
           CASE WHEN a.contract_start >= r.first_month AND a.contract_start < r.first_month + INTERVAL 1 MONTH
                THEN a.contract_start
                WHEN s.paid_from >= r.first_month AND s.paid_from <= last_day(r.first_month) AND s.paid_from <= $as_of
                THEN s.paid_from
                ELSE r.first_month END::DATE AS spell_start,
           CASE WHEN r.last_month = h.last_month THEN CASE WHEN a.churn_date > r.last_month THEN a.churn_date END
                WHEN a.churn_date > r.last_month AND a.churn_date <= r.last_month + INTERVAL 1 MONTH THEN a.churn_date
                WHEN e.paid_until > last_day(r.last_month) AND e.paid_until <= last_day(r.last_month + INTERVAL 1 MONTH)
                     AND e.paid_until <= $as_of THEN e.paid_until
                ELSE r.last_month + INTERVAL 1 MONTH END::DATE AS spell_end
    FROM runs r CROSS JOIN horizon h LEFT JOIN cur_accounts a USING (account_id)
    LEFT JOIN derived_mrr s ON s.account_id = r.account_id AND s.month = r.first_month
    LEFT JOIN derived_mrr e ON e.account_id = r.account_id AND e.month = r.last_month
"""


def spell_rows(db: Database, as_of: str) -> list[list]:
    frame = db.query("SELECT * FROM spells($as_of::DATE) ORDER BY ALL", {"as_of": as_of})
    return [[r.account_id, f"{r.spell_start:%Y-%m-%d}", None if pd.isna(r.spell_end) else f"{r.spell_end:%Y-%m-%d}"]
            for r in frame.itertuples()]


def spells_differ(db: Database, as_of: dt.date) -> list:
    kept = db.query("SELECT * FROM spells($as_of::DATE) ORDER BY ALL", {"as_of": as_of})
    oracle = db.query(f"SELECT * FROM ({SPELLS_FROM_HISTORY}) ORDER BY ALL", {"as_of": as_of})  # noqa: S608
    return [] if kept.equals(oracle) else [as_of, len(kept), len(oracle)]


def test_spells_from_kept_runs_equal_the_history_on_every_day(demo_db, load, db):
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in range(0, 1100, 23)]
    assert not [d for d in days if spells_differ(demo_db, d)]
    # gaps (reactivation), a free month (paid -> 0 is churn), a mid-month churn date, a history that
    # ends before the as-of day
    load("accounts", "取引先ID,契約開始日,解約日\nA,2023-01-15,\nB,2023-01-01,2023-06-20\nC,2023-03-01,\n")
    load("mrr", "取引先ID,請求月,請求金額\n" + "".join(
        f"A,2023-{m:02d},100\n" for m in (1, 2, 3, 5, 6)) + "".join(
        f"B,2023-{m:02d},200\n" for m in range(1, 6)) + "C,2023-03,50\nC,2023-04,0\nC,2023-05,60\n")
    for as_of in [dt.date(2023, 1, 1) + dt.timedelta(days=d) for d in range(0, 250, 3)]:
        assert not spells_differ(db, as_of)
    assert spell_rows(db, "2023-12-31") == [
        ["A", "2023-01-15", "2023-04-01"], ["A", "2023-05-01", None], ["B", "2023-01-01", "2023-06-01"],
        ["C", "2023-03-01", "2023-04-01"], ["C", "2023-05-01", "2023-06-01"]]


def test_restoring_an_older_history_rebuilds_its_runs(db, load):
    first = load("mrr", "取引先ID,請求月,請求金額\nA,2023-01,100\nA,2023-02,100\n")
    load("mrr", "取引先ID,請求月,請求金額\nA,2023-01,100\nA,2023-02,0\nA,2023-03,100\n")
    assert len(db.query("SELECT * FROM spells(DATE '2023-12-31')")) == 2
    importer.restore(db, first["snapshot"], by=EDITOR)
    assert spell_rows(db, "2023-12-31") == [["A", "2023-01-01", None]]


def test_the_validation_aggregated_in_sql_equals_the_rows_worked_in_pandas(demo_db):
    """health_validation_bands and _auc (SQL, what the page reads) against the validation rows summed and
    ranked in pandas (tests/oracles.roc_auc: average ranks for ties, pinned by hand in test_metrics)."""
    days = validation_days(AS_OF)
    rows = run(demo_db, "health_validation", as_of=AS_OF, days=days)
    assert rows["churned"].any() and not rows["churned"].all()  # both outcomes: the AUC means something
    bands = run(demo_db, "health_validation_bands", as_of=AS_OF, days=days).set_index("band")
    per_account = rows.groupby(["day", "account_id"]).agg(score=("contribution", "sum"), churned=("churned", "first"))
    per_account["band"] = [band(round(s, 9)) for s in per_account["score"]]  # 40 / 70; scores to 9 places
    expected = per_account.groupby("band").agg(accounts=("churned", "size"), churned=("churned", "sum"))
    assert bands[["accounts", "churned"]].to_dict() == expected.to_dict()
    assert (bands["churn_rate_90d"] == bands["churned"] / bands["accounts"]).all()
    auc = run(demo_db, "health_validation_auc", as_of=AS_OF, days=days).set_index("measure")["auc"]
    assert sorted(auc.index) == sorted(rows["measure"].unique())
    for measure, group in rows.groupby("measure"):
        assert auc[measure] == pytest.approx(roc_auc(group["measure_score"], group["churned"]), abs=1e-12)


def test_the_score_history_is_the_account_s_row_of_the_scores(demo_db):
    days = month_ends(START, AS_OF)
    scores = run(demo_db, "health_scores", as_of=AS_OF, days=days)
    all_year = scores.groupby("account_id")["day"].count() == len(days)  # a customer all year
    account = scores[scores["account_id"].isin(all_year[all_year].index)].sort_values(["score", "account_id"]).iloc[0]["account_id"]
    own = run(demo_db, "score_history", as_of=AS_OF, days=days, account_id=account)
    expected = scores[scores["account_id"] == account].sort_values("day").reset_index(drop=True)
    assert len(own) == len(days)  # a score on every month end
    pd.testing.assert_frame_equal(own, expected[own.columns.tolist()], check_exact=False, rtol=0, atol=1e-12)


def computed_grid(monkeypatch, db, scope=None, **params) -> pd.DataFrame:
    """mrr_movements with its account x month grid built from the history in the query (the definition
    before the grid was kept): the oracle for the kept grid."""
    with monkeypatch.context() as m:
        m.setattr(runner, "_grid_covers", lambda *a: False)
        return run(db, "mrr_movements", scope, **params)


def reads_kept_grid(db, scope=None, name="mrr_movements", **params) -> bool:
    text, values, _ = runner._build(name, {"segment_by": None, **params}, scope or Scope(),
                                    lambda other, **p: runner.call(db, other, scope, **p), runner.engines.DUCKDB)
    return re.search(r"\b(FROM|JOIN)\s+kept_mrr_grid\b", text) is not None  # read, not named in a comment


@pytest.mark.parametrize("scope", [Scope(), Scope.of({"tier": ["Tier1"]}), Scope.of({"owner": ["佐藤", "鈴木"]})],
                         ids=["all", "tier1", "two-owners"])
def test_mrr_movements_from_the_kept_grid_equal_the_grid_built_from_the_history(demo_db, monkeypatch, scope):
    last = demo_db.query("SELECT max(month) AS m FROM mrr_history")["m"][0].date()
    # every 3 months and a few days (month ends, mid-months, first days), past the history's end too
    days = [dt.date(2024, 6, 1) + dt.timedelta(days=d) for d in range(0, (last - dt.date(2024, 6, 1)).days + 31, 97)]
    ends = [dt.date(2024, 6, 30), dt.date(2025, 2, 28), dt.date(2025, 12, 31), dt.date(2026, 8, 31)]
    for as_of in [*days, *ends, AS_OF]:
        for segment_by in ((None, "plan", "tier") if not scope else (None,)):
            params = {"as_of": as_of, "from_month": dt.date(2024, 1, 1), "segment_by": segment_by}
            kept = run(demo_db, "mrr_movements", scope, **params)
            month_end = (as_of + dt.timedelta(days=1)).day == 1  # a kept month is its month end's (mid-month: computed)
            assert reads_kept_grid(demo_db, scope, **params) == (as_of.replace(day=1) <= last and month_end), as_of
            pd.testing.assert_frame_equal(kept, computed_grid(monkeypatch, demo_db, scope, **params),
                                          check_exact=True, obj=f"{as_of} {segment_by}")
            assert len(kept) > 0


def test_the_kept_grid_follows_each_import_and_restore(db, load, monkeypatch):
    # a gap (reactivation), a free month (paid -> 0 is churn), a contraction and an expansion
    first = load("mrr", "取引先ID,請求月,請求金額\n" + "".join(f"A,2023-{m:02d},100\n" for m in (1, 2, 3, 5, 6))
                 + "B,2023-01,200\nB,2023-02,150\nB,2023-03,300\nC,2023-03,50\nC,2023-04,0\nC,2023-05,60\n")
    params = {"as_of": dt.date(2023, 6, 30), "from_month": dt.date(2023, 1, 1)}
    got = run(db, "mrr_movements", **params).set_index("month")
    assert reads_kept_grid(db, **params)
    june, may, april = (got.loc[pd.Timestamp(f"2023-{m:02d}-01")] for m in (6, 5, 4))
    assert (june["start"], june["end"], june["churn"], june["accounts"]) == (160, 100, 60, 1)  # C leaves after May
    assert (may["reactivation"], may["accounts"]) == (160, 2)  # A and C come back
    assert (april["churn"], april["start"]) == (450, 450)  # A (100), B (300), C (50; 0 in April: free) all leave
    pd.testing.assert_frame_equal(run(db, "mrr_movements", **params), computed_grid(monkeypatch, db, **params))
    load("mrr", "取引先ID,請求月,請求金額\nA,2023-01,100\nA,2023-02,120\n", confirm_replace=True)
    got = run(db, "mrr_movements", **params)
    assert got["expansion"].sum() == 20 and got["end"].iloc[-1] == 0  # the history ends in February
    pd.testing.assert_frame_equal(got, computed_grid(monkeypatch, db, **params))
    importer.restore(db, first["snapshot"], by=EDITOR)
    pd.testing.assert_frame_equal(run(db, "mrr_movements", **params), computed_grid(monkeypatch, db, **params))
    assert run(db, "mrr_movements", **params).set_index("month").loc[pd.Timestamp("2023-05-01"), "reactivation"] == 160


# account_attrs() as defined before the MRR history's accounts were kept: the oracle for kept_mrr_accounts.
ATTRS_FROM_HISTORY = """
    SELECT account_id, name, owner, plan, industry, segment, tier, acquisition_channel, status,
           acquisition_cost, renewal_date, contract_start, churn_date, mrr
    FROM cur_accounts
    UNION ALL
    SELECT account_id, NULL, NULL, arg_max(plan, month), NULL, NULL, NULL, NULL, NULL,
           NULL::DECIMAL(18,4), NULL::DATE, min(month) FILTER (WHERE mrr > 0), NULL::DATE, arg_max(mrr, month)
    FROM mrr_history
    WHERE account_id NOT IN (SELECT account_id FROM cur_accounts)
    GROUP BY account_id
"""


def attrs_differ(db: Database) -> bool:
    kept = db.query("SELECT * FROM account_attrs() ORDER BY account_id")
    return not kept.equals(db.query(f"SELECT * FROM ({ATTRS_FROM_HISTORY}) ORDER BY account_id"))  # noqa: S608


def test_accounts_known_only_from_the_mrr_history_follow_each_import(demo_db, db, load):
    assert not attrs_differ(demo_db)
    first = load("mrr", "取引先ID,請求月,請求金額,プラン\nA,2023-01,100,Basic\nA,2023-02,0,Free\n"
                 "B,2023-02,0,Free\nB,2023-03,300,Pro\nB,2023-04,250,Pro\n")
    assert not attrs_differ(db)
    rows = db.query("SELECT account_id, plan, contract_start, mrr FROM account_attrs() ORDER BY account_id")
    assert rows.values.tolist() == [["A", "Free", pd.Timestamp("2023-01-01"), 0.0],
                                    ["B", "Pro", pd.Timestamp("2023-03-01"), 250.0]]
    load("accounts", "取引先ID,会社名,プラン\nA,エー社,Enterprise\n")  # A now from the accounts file
    assert not attrs_differ(db)
    assert db.query("SELECT plan FROM account_attrs() ORDER BY account_id")["plan"].tolist() == ["Enterprise", "Pro"]
    load("mrr", "取引先ID,請求月,請求金額,プラン\nB,2023-05,500,Max\n", mode="append")
    assert not attrs_differ(db)
    assert db.query("SELECT mrr FROM account_attrs() WHERE account_id = 'B'")["mrr"].tolist() == [500.0]
    importer.restore(db, first["snapshot"], by=EDITOR)
    assert not attrs_differ(db)
    assert db.query("SELECT mrr FROM account_attrs() WHERE account_id = 'B'")["mrr"].tolist() == [250.0]


def churn_pair(monkeypatch, db, scope=None, **params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """churn with its MRR lookups read from the kept grid, and as ASOF joins over the points (the oracle)."""
    kept = run(db, "churn", scope, **params)
    with monkeypatch.context() as m:
        m.setattr(runner, "_grid_covers", lambda *a: False)
        return kept, run(db, "churn", scope, **params)


@pytest.mark.parametrize("scope", [Scope(), Scope.of({"tier": ["Tier1"]})], ids=["all", "tier1"])
def test_churn_from_the_kept_grid_equals_the_asof_lookups(demo_db, monkeypatch, scope):
    last = demo_db.query("SELECT max(month) AS m FROM mrr_history")["m"][0].date()
    days = [dt.date(2024, 6, 1) + dt.timedelta(days=d) for d in range(0, (last - dt.date(2024, 6, 1)).days + 31, 97)]
    ends = [dt.date(2024, 6, 30), dt.date(2025, 2, 28), dt.date(2025, 12, 31)]  # the kept grid is read on month ends
    for as_of in [*days, *ends, AS_OF]:
        for grain, segment_by in [("month", None), ("quarter", "tier"), ("month", "plan")][: 3 if not scope else 1]:
            params = {"as_of": as_of, "grain": grain, "start": dt.date(2024, 1, 1), "segment_by": segment_by}
            kept, asof = churn_pair(monkeypatch, demo_db, scope, **params)
            pd.testing.assert_frame_equal(kept, asof, check_exact=True, obj=f"{as_of} {grain} {segment_by}")
            assert kept["customers_churned"].sum() > 0


def test_churn_from_the_kept_grid_on_a_hand_made_history(db, load, monkeypatch):
    # A: a gap (reactivation in May); B: a churn date mid-June after its last paid month (May); C: a free
    # month (0 in April is churn), back in May, a churn date after the as-of day; D: no point in the
    # accounts' start month; E and F: the history has no July at all (a month missing from the export): as of
    # a day in July, F (leaving on 2023-09-10) is still a customer on MRR of June
    load("accounts", "取引先ID,契約開始日,解約日\nA,2023-01-15,\nB,2023-01-01,2023-06-20\nC,2023-03-01,2023-09-15\n"
                     "D,2023-01-10,\nE,2023-02-01,\nF,2023-01-01,2023-09-10\n")
    load("mrr", "取引先ID,請求月,請求金額\n" + "".join(f"A,2023-{m:02d},100\n" for m in (1, 2, 3, 5, 6, 8))
         + "".join(f"B,2023-{m:02d},{200 + m}\n" for m in range(1, 6)) + "C,2023-03,50\nC,2023-04,0\nC,2023-05,60\nC,2023-06,70\n"
         + "C,2023-08,80\nD,2023-02,40\nD,2023-03,45\n" + "".join(f"E,2023-{m:02d},{10 * m}\n" for m in (2, 3, 4, 5, 6, 8))
         + "".join(f"F,2023-{m:02d},1000\n" for m in (1, 2, 3, 4, 5, 6, 8)))
    seen = 0
    month_ends = [dt.date(2023, m + 1, 1) - dt.timedelta(days=1) for m in range(3, 12)]
    for as_of in sorted({*month_ends, *(dt.date(2023, 3, 1) + dt.timedelta(days=d) for d in range(0, 200, 6))}):
        for grain in ("week", "month", "quarter"):
            params = {"as_of": as_of, "grain": grain, "start": dt.date(2023, 1, 1)}
            kept, asof = churn_pair(monkeypatch, db, **params)
            # the history ends in August; a month's kept row is its month end's (mid-month: computed)
            assert reads_kept_grid(db, name="churn", **params) == (as_of < dt.date(2023, 9, 1) and as_of in month_ends)
            pd.testing.assert_frame_equal(kept, asof, check_exact=True, obj=f"{as_of} {grain}")
            seen += int(kept["mrr_churned"].sum() > 0)
    assert seen > 40
    june = run(db, "churn", as_of=dt.date(2023, 6, 30), grain="month", start=dt.date(2023, 6, 1)).iloc[0]
    # at the start of June: A (100, back in May), B (205), C (60), E (50), F (1,000); D left after March
    assert (june["customers_at_start"], june["mrr_at_start"]) == (5, 1415)
    # B's churn date 2023-06-20 ends its spell in June with May's 205; the others are paid in June
    assert (june["customers_churned"], june["mrr_churned"]) == (1, 205)


def test_a_migration_rebuilds_kept_tables_of_an_older_shape(tmp_path, load, db):
    load("mrr", "取引先ID,請求月,請求金額\nA,2023-01,100\nA,2023-02,120\n")
    params = {"as_of": dt.date(2023, 2, 28), "from_month": dt.date(2023, 1, 1)}
    expected = run(db, "mrr_movements", **params)

    def older(con):  # as an earlier version left it: kept tables without their last column, another schema
        con.execute("ALTER TABLE kept_mrr_grid DROP COLUMN paid_mrr")
        con.execute("ALTER TABLE kept_health_scores DROP COLUMN score")
        con.execute("UPDATE meta SET value = 'older' WHERE key = 'schema_hash'")
    db.write(older)
    db.release()
    again = Database(db.path)
    assert "paid_mrr" in again.query("SELECT * FROM kept_mrr_grid").columns
    assert "score" in again.query("SELECT * FROM kept_health_scores").columns
    pd.testing.assert_frame_equal(run(again, "mrr_movements", **params), expected)
    assert len(again.query("SELECT * FROM kept_mrr_grid")) == 2


def test_a_sparse_measure_for_ten_accounts_moves_no_other_account(demo_db, tmp_path, monkeypatch):
    """Support tickets (問い合わせ件数, lower is better) for 10 of the demo's accounts, weight 1 beside the
    defaults (logins 1, page views 2, active users 1, days since contact 1: 5 in all). The other accounts
    have no data for it: left out, so their scores and bands are those without it. The 10 get 1..10 tickets
    in the window: ranked among themselves (lower is better), v tickets score 100 * (10 - v) / 9, and their
    score becomes (5 * before + that) / 6. Kept and computed scores agree under the new configuration."""
    q = views.caller(demo_db)
    before = q("accounts", as_of=AS_OF).set_index("account_id")
    ten = sorted(before.index)[::28][:10]
    assert len(ten) == 10
    path = tmp_path / "tickets.csv"
    path.write_text("取引先ID,日付,問い合わせ件数\n" + "".join(f"{a},2026-10-01,{i + 1}\n" for i, a in enumerate(ten)))
    importer.import_file(demo_db, path, "usage", mode="append", by=EDITOR)
    config = q("health_config")
    assert sum(m["weight"] for m in config["measures"]) == 5
    tickets = {"name": "問い合わせ件数", "source": "usage", "weight": 1.0, "agg": "sum", "higher_is_better": False,
               "method": "percentile", "floor": 0.0, "target": None}
    S.put(demo_db, "health", {**config, "measures": [*config["measures"], tickets]}, by=EDITOR)
    q = views.caller(demo_db)
    after = q("accounts", as_of=AS_OF).set_index("account_id")
    others = before.index.difference(ten)
    assert len(others) > 250
    pd.testing.assert_series_equal(after.loc[others, "score"], before.loc[others, "score"], rtol=0, atol=1e-9)
    assert after.loc[others, "band"].equals(before.loc[others, "band"])
    details = q("health_details", as_of=AS_OF).set_index(["account_id", "measure"])
    mine = details.xs("問い合わせ件数", level="measure")
    assert (mine.loc[others, "weight"] == 0).all() and mine.loc[others, "measure_score"].isna().all()
    for v, account in enumerate(ten, start=1):
        assert mine.loc[account, "measure_score"] == pytest.approx(100 * (10 - v) / 9)
        assert after.loc[account, "score"] == pytest.approx((5 * before.loc[account, "score"] + 100 * (10 - v) / 9) / 6)
    for name, params in CALLS:
        same(views.caller(demo_db)(name, **params), scored_inline(monkeypatch, demo_db, name, **params), name)

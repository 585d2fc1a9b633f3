"""Tables of the store, created and migrated by code. Money is exact: DECIMAL(18,4) in the workspace currency."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path

from dashboard.periods import add_months

SQL_DIR = Path(__file__).parent / "sql"

SCHEMA_VERSION = 2

# Canonical datasets: the typed columns each stores (besides snapshot_id). Order is storage order.
# Types: id/text -> VARCHAR, money -> DECIMAL(18,4), date -> DATE, month -> DATE (first day), number -> DOUBLE.
DATASETS: dict[str, dict[str, str]] = {
    "accounts": {
        "account_id": "id", "name": "text", "mrr": "money", "contract_start": "date",
        "renewal_date": "date", "churn_date": "date", "status": "text", "owner": "text", "plan": "text",
        "industry": "text", "segment": "text", "tier": "text", "acquisition_channel": "text",
        "acquisition_cost": "money",
    },
    # usage is stored long: one row per account, day and measure, so any measure column can be loaded.
    "usage": {"account_id": "id", "date": "date", "measure": "text", "value": "number"},
    "mrr": {"account_id": "id", "month": "month", "mrr": "money", "plan": "text"},
    "orders": {"customer_id": "id", "order_date": "date", "amount": "money", "order_id": "text",
               "channel": "text"},
    "touchpoints": {"account_id": "id", "date": "date", "kind": "text", "owner": "text", "note": "text"},
    "opportunities": {"account_id": "id", "amount": "money", "kind": "text", "stage": "text",
                      "created": "date", "closed": "date"},
    # What billing systems export, from which the MRR history is derived (sql/mrr_derivation.sql): one row
    # per subscription (or subscription item: a plan change is a row ending and one starting) ...
    "subscriptions": {
        "account_id": "id", "subscription_id": "text", "plan": "text", "amount": "money", "quantity": "number",
        "interval": "interval", "interval_count": "number", "currency": "text", "start_date": "date",
        "trial_end": "date", "current_period_start": "date", "current_period_end": "date", "canceled_at": "date",
        "cancel_at_period_end": "flag", "ended_at": "date", "status": "text", "discount_percent": "rate",
        "discount_amount": "money", "discount_duration": "duration", "tax_included": "flag", "tax_rate": "rate",
        "discount_months": "number",  # a "repeating" discount's months (Stripe's duration in months)
    },
    # ... or one row per invoice line, with the service period it bills
    "invoice_lines": {
        "account_id": "id", "invoice_id": "text", "invoice_date": "date", "item": "text", "kind": "line_kind",
        "plan": "text", "subscription_id": "text", "quantity": "number", "unit_price": "money", "amount": "money",
        "tax_amount": "money", "tax_included": "flag", "tax_rate": "rate", "currency": "text",
        "service_start": "date", "service_end": "date", "service_period": "period",
    },
    # Exchange rates into the workspace currency: one per month and currency (the user's: average or month end)
    "fx_rates": {"month": "month", "currency": "text", "rate": "number"},
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "usage": ("account_id", "date"),
    "mrr": ("account_id", "month", "mrr"),
    "orders": ("customer_id", "order_date", "amount"),
    "touchpoints": ("account_id", "date"),
    "opportunities": ("account_id", "amount"),
    "subscriptions": ("account_id", "amount", "start_date"),
    "invoice_lines": ("account_id", "amount"),
    "fx_rates": ("month", "currency", "rate"),
}

# Grain of each dataset inside one snapshot: duplicate keys are rejected rows, never silent overwrites.
# Amounts that cannot be below zero: a negative MRR is a sign error or a credit note in the wrong file
# (refunds in orders stay negative: a return is a real negative amount).
NON_NEGATIVE = {"accounts": {"mrr"}, "mrr": {"mrr"}}

UNIQUE_KEY: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "mrr": ("account_id", "month"),
    "usage": ("account_id", "date", "measure"),
    "fx_rates": ("month", "currency"),
}

# The datasets the MRR history is made of: imported monthly (mrr), or derived from billing exports
# (subscriptions, invoice_lines, converted with fx_rates). Figures read the view mrr_history; what they
# keep depends on the snapshots of all four.
MRR_SOURCES = ("mrr", "subscriptions", "invoice_lines", "fx_rates")
BILLING = ("subscriptions", "invoice_lines", "fx_rates")

# Account columns a user may break figures down by (whitelist for --segment-by and the UI).
SEGMENT_COLUMNS = ("plan", "industry", "owner", "segment", "tier", "acquisition_channel", "status")

_SQL_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "money": "DECIMAL(18,4)", "date": "DATE", "month": "DATE",
              "number": "DOUBLE", "flag": "BOOLEAN", "interval": "VARCHAR", "line_kind": "VARCHAR",
              "duration": "VARCHAR", "rate": "DOUBLE", "period": "VARCHAR"}

ALL_TABLES = ("meta", "settings", "settings_log", "snapshots", "snapshot_members", "source_mappings", "rejected_rows",
              "scenarios", "account_work", *DATASETS)


def column_sql_type(dataset: str, column: str) -> str:
    return _SQL_TYPES[DATASETS[dataset][column]]


def _create_statements() -> list[str]:
    stmts = [
        "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        "CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value JSON)",
        # Every settings change: who, when, which key and the value it got (null = back to the default).
        """CREATE TABLE IF NOT EXISTS settings_log (
            changed_at TIMESTAMP NOT NULL, changed_by VARCHAR NOT NULL, key VARCHAR NOT NULL, value JSON)""",
        "CREATE SEQUENCE IF NOT EXISTS snapshot_ids START 1",
        """CREATE TABLE IF NOT EXISTS snapshots (
            snapshot_id BIGINT PRIMARY KEY DEFAULT nextval('snapshot_ids'),
            dataset VARCHAR NOT NULL, file_name VARCHAR, content_hash VARCHAR NOT NULL,
            imported_at TIMESTAMP NOT NULL, imported_by VARCHAR, source_format VARCHAR,
            encoding VARCHAR, sheet VARCHAR, rows_read INTEGER, rows_loaded INTEGER,
            rows_rejected INTEGER, mapping JSON, is_current BOOLEAN NOT NULL DEFAULT false,
            mode VARCHAR DEFAULT 'replace', parent_id BIGINT, rows_duplicate INTEGER DEFAULT 0)""",
        # The snapshots whose rows make up a snapshot: itself, and for an append its parent's members too.
        "CREATE TABLE IF NOT EXISTS snapshot_members (snapshot_id BIGINT NOT NULL, member_id BIGINT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS source_mappings (
            dataset VARCHAR, source_key VARCHAR, mapping JSON, updated_at TIMESTAMP,
            PRIMARY KEY (dataset, source_key))""",
        """CREATE TABLE IF NOT EXISTS rejected_rows (
            snapshot_id BIGINT, row_number INTEGER, column_name VARCHAR, message VARCHAR, raw JSON)""",
        # The simulator's saved scenarios (dashboard/scenarios.py): each one's drivers, who saved it and when.
        # No figure reads them, so saving one is no new data version.
        """CREATE TABLE IF NOT EXISTS scenarios (
            name VARCHAR PRIMARY KEY, state JSON NOT NULL, saved_by VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL)""",
        # The call list's work (dashboard/worklog.py): every change to an account's assignment, task, status
        # and notes, with who and when; appended, never changed. No dataset's import or restore touches it.
        "CREATE SEQUENCE IF NOT EXISTS work_ids START 1",
        """CREATE TABLE IF NOT EXISTS account_work (
            work_id BIGINT PRIMARY KEY DEFAULT nextval('work_ids'), account_id VARCHAR NOT NULL,
            action VARCHAR NOT NULL, owner VARCHAR, task VARCHAR, due DATE, until DATE, note VARCHAR, band VARCHAR,
            by_name VARCHAR NOT NULL, changed_at TIMESTAMP NOT NULL)""",
        # The runs of consecutive paid months of the current MRR history, and its months: spells() reads
        # these instead of numbering 2M history rows on every call. Rebuilt by refresh_kept in the
        # transaction that changes the history (an import or restore of mrr). started_on / ended_on: for a
        # history derived from billing exports, the day service began in the run's first month and the day it
        # stopped after its last (a run of an imported monthly history knows no day: NULL).
        "CREATE TABLE IF NOT EXISTS kept_mrr_runs (account_id VARCHAR, first_month DATE, last_month DATE, "
        "started_on DATE, ended_on DATE)",
        "CREATE TABLE IF NOT EXISTS kept_mrr_months (month DATE)",
        # What the MRR history says of each account (account_attrs() reads it for accounts missing from the
        # accounts file): its latest plan and MRR and first paid month (day, when derived). Rebuilt with the runs.
        """CREATE TABLE IF NOT EXISTS kept_mrr_accounts (
            account_id VARCHAR, plan VARCHAR, first_paid DATE, mrr DECIMAL(18,4))""",
        # The account x month grid of the whole MRR history that MRR movements are counted on
        # (sql/_mrr_grid.sql): a filtered view aggregates its accounts' rows instead of rebuilding
        # and windowing their history. With each month, the latest paid month by then and its MRR (churn's
        # lookups, _churn_mrr_kept.sql). Rebuilt with the runs.
        """CREATE TABLE IF NOT EXISTS kept_mrr_grid (
            account_id VARCHAR, month DATE, cur DECIMAL(18,4), prev DECIMAL(18,4), had_before BOOLEAN,
            year_ago DECIMAL(18,4), paid_month DATE, paid_mrr DECIMAL(18,4), fx DECIMAL(18,4))""",
        # Each measure's raw value and measure score, and whether the account has data for it (has_data:
        # its weight counts), kept per part: the measures scored from one dataset (usage, touchpoints),
        # keyed by the snapshots that part reads (``data``: the customers' accounts and MRR history, and its
        # own dataset) and its measures' definitions (not their weights, applied when the parts are
        # combined). A touchpoints import scores the contact part again and keeps the usage part
        # (results/health_store.py).
        """CREATE TABLE IF NOT EXISTS kept_health_parts (
            part_key VARCHAR NOT NULL, as_of DATE NOT NULL, day DATE NOT NULL, account_id VARCHAR,
            measure VARCHAR, source VARCHAR, raw DOUBLE, measure_score DOUBLE, has_data DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS kept_health_part_days (
            part_key VARCHAR NOT NULL, source VARCHAR NOT NULL, data VARCHAR NOT NULL, as_of DATE NOT NULL,
            day DATE NOT NULL, kept_at TIMESTAMP NOT NULL, PRIMARY KEY (part_key, as_of, day))""",
        # Each account's score per data (the current snapshots), configuration, as-of day and day: the parts
        # above combined (each measure's contribution is its weight's share of the weights in force; the
        # measure rows are combined when read, results/sql/_health_kept.sql). What bands and trends read.
        """CREATE TABLE IF NOT EXISTS kept_health_scores (
            data_key VARCHAR NOT NULL, config_key VARCHAR NOT NULL, as_of DATE NOT NULL, day DATE NOT NULL,
            account_id VARCHAR, score DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS kept_health_days (
            data_key VARCHAR NOT NULL, config_key VARCHAR NOT NULL, as_of DATE NOT NULL, day DATE NOT NULL,
            kept_at TIMESTAMP NOT NULL, PRIMARY KEY (data_key, config_key, as_of, day))""",
        # The data version whose kept results are complete (result_store.prepare ran for it): a newer data
        # version means a refresh is pending (an import with --no-wait); the app completes it.
        "CREATE TABLE IF NOT EXISTS kept_ready (version BIGINT NOT NULL)",
        # The MRR history derived from billing exports (subscriptions, invoice lines: sql/base_macros.sql
        # billing_lines and mrr_lines), per account and month, for the accounts the imported history does not
        # have. Rebuilt by refresh_kept in the transaction of every import or restore that changes it.
        # paid_from / paid_until: the first day of the earliest, and the day the last stops, of the paying
        # lines in force at the month's end (paid_until NULL: one runs on)
        "CREATE TABLE IF NOT EXISTS derived_mrr (account_id VARCHAR, month DATE, mrr DECIMAL(18,4), plan VARCHAR, "
        "fx DECIMAL(18,4), paid_from DATE, paid_until DATE)",
        # Whole results kept for the pages' first views (results/result_store.py): each in a table
        # kept_result_<key>, listed here with the data version it was computed under and its inputs (each
        # dataset it reads and that dataset's snapshot then, as JSON): stale when one is no longer current.
        """CREATE TABLE IF NOT EXISTS kept_results (
            key VARCHAR PRIMARY KEY, version BIGINT NOT NULL, name VARCHAR NOT NULL, made_at TIMESTAMP NOT NULL,
            seconds DOUBLE, rows BIGINT, inputs VARCHAR)""",
    ]
    for dataset, cols in DATASETS.items():
        body = ", ".join(f'"{c}" {_SQL_TYPES[t]}' for c, t in cols.items())
        stmts.append(f'CREATE TABLE IF NOT EXISTS "{dataset}" (snapshot_id BIGINT NOT NULL, {body})')
        # The current rows of a dataset: those of its current snapshot(s). `dataset` is a key of
        # DATASETS above, never user text.
        view = 'CREATE OR REPLACE VIEW "cur_{0}" AS SELECT * EXCLUDE (snapshot_id) FROM "{0}" WHERE snapshot_id IN (SELECT m.member_id FROM snapshot_members m JOIN snapshots s USING (snapshot_id) WHERE s.is_current AND s.dataset = \'{0}\')'  # noqa: S608
        stmts.append(view.format(dataset))
    # The MRR history every figure reads: the imported monthly rows, and the derived ones of other accounts,
    # with the part of each month's MRR that only the exchange rates moved (fx: 0 in the workspace currency).
    stmts.append("CREATE OR REPLACE VIEW mrr_history AS SELECT account_id, month, mrr, plan, 0::DECIMAL(18,4) AS fx "
                 "FROM cur_mrr UNION ALL SELECT account_id, month, mrr, plan, fx FROM derived_mrr")
    return stmts


def _macro_statements() -> list[str]:
    return [stmt for stmt in (SQL_DIR / "base_macros.sql").read_text().split(";\n") if stmt.strip()]


@cache  # asked on every open of the database; the code it hashes does not change while it runs
def schema_hash() -> str:
    """Identifies the tables, views, macros and kept grid this code expects (a changed macro changes it too)."""
    text = "\n".join([str(SCHEMA_VERSION), *_create_statements(), *_macro_statements(),
                      _grid_sql()])  # the kept grid's SQL: changed, it is rebuilt
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def needs_migration(con) -> bool:
    """Whether ``migrate`` has anything to do: opening a current database writes nothing."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_hash'").fetchone()
    except Exception:  # noqa: BLE001 - a new, empty file has no meta table yet
        return True
    return not row or row[0] != schema_hash()


def refresh_kept(con, dataset: str | None = None) -> None:
    """Rebuild what is kept from the current MRR history after an import or restore of ``dataset``.
    None: after any other change to stored rows (a migration, a repair): everything kept is rebuilt or
    dropped, since kept health scores are told apart by their snapshots, not by the rows' content."""
    if dataset is None:
        con.execute("DELETE FROM kept_health_scores")
        con.execute("DELETE FROM kept_health_days")
        con.execute("DELETE FROM kept_health_parts")
        con.execute("DELETE FROM kept_health_part_days")
        drop_kept_results(con)
    elif dataset == "accounts":  # its churn dates end months of the history's grid (mrr_points)
        keep_mrr_grid(con)
        return
    elif dataset not in MRR_SOURCES:
        return
    derive_mrr(con)
    con.execute("DELETE FROM kept_mrr_runs")
    con.execute("""INSERT INTO kept_mrr_runs
        SELECT account_id, min(month), max(month), NULL, NULL FROM (
            SELECT account_id, month,
                   (year(month) * 12 + month(month)) - row_number() OVER (PARTITION BY account_id ORDER BY month) AS run
            FROM mrr_history WHERE mrr > 0)
        GROUP BY account_id, run""")
    # a derived run begins on the day its lines began, when that day is in its first month, and ends on the
    # day they stop, when that day is in the month after its last: spells() reads them instead of the months'
    # first days (both ends day-precise, so a year from the start is a year from the first paid day)
    con.execute("""UPDATE kept_mrr_runs r SET started_on = d.paid_from FROM derived_mrr d
        WHERE d.account_id = r.account_id AND d.month = r.first_month
          AND d.paid_from >= r.first_month AND d.paid_from <= last_day(r.first_month)""")
    con.execute("""UPDATE kept_mrr_runs r SET ended_on = d.paid_until FROM derived_mrr d
        WHERE d.account_id = r.account_id AND d.month = r.last_month
          AND d.paid_until > last_day(r.last_month) AND d.paid_until <= last_day(r.last_month + INTERVAL 1 MONTH)""")
    con.execute("DELETE FROM kept_mrr_months")
    con.execute("INSERT INTO kept_mrr_months SELECT DISTINCT month FROM mrr_history")
    con.execute("DELETE FROM kept_mrr_accounts")
    con.execute("""INSERT INTO kept_mrr_accounts
        SELECT account_id, arg_max(plan, month), min(month) FILTER (WHERE mrr > 0), arg_max(mrr, month)
        FROM mrr_history GROUP BY account_id""")
    # a derived history knows the first paid day, not only its month (a contract's anniversaries count from it)
    con.execute("""UPDATE kept_mrr_accounts k SET first_paid = r.started_on FROM kept_mrr_runs r
        WHERE r.account_id = k.account_id AND r.first_month = k.first_paid AND r.started_on IS NOT NULL""")
    keep_mrr_grid(con)


def keep_mrr_grid(con) -> None:
    """Rebuild kept_mrr_grid: the grid of sql/_mrr_grid.sql over every account, through the last month of the
    MRR history (none without one: the results then compute the grid from the accounts' dates as of each
    day), with the latest paid month by each month and its MRR. The block is the store's: the results
    include the same text to compute a grid as of a day the kept one does not reach, or for a filter."""
    con.execute("DELETE FROM kept_mrr_grid")
    through = con.execute("SELECT max(month) FROM mrr_history").fetchone()[0]
    if through is None:
        return
    con.execute(_grid_sql(), {"as_of": add_months(through, 1) - dt.timedelta(days=1)})


def _grid_sql() -> str:
    """The statement that fills kept_mrr_grid (in schema_hash: a change to it rebuilds the kept grid)."""
    block = (SQL_DIR / "_mrr_grid.sql").read_text().replace("{in_scope:account_id}", "TRUE").rstrip().rstrip(",")
    assert "{" not in block, "a placeholder the kept grid does not fill"
    return (f"INSERT INTO kept_mrr_grid WITH {block} "  # noqa: S608 - our own SQL file
            "SELECT account_id, month, cur, prev, had_before, year_ago, "
            "       max(month) FILTER (WHERE cur > 0) OVER w, arg_max(cur, month) FILTER (WHERE cur > 0) OVER w, fx "
            "FROM account_month WINDOW w AS (PARTITION BY account_id ORDER BY month ROWS UNBOUNDED PRECEDING) "
            "ORDER BY month, account_id")


def kept_result_table(key: str) -> str:
    """The table of a kept result (results/result_store.py): its key is a hex digest, a safe identifier."""
    return f"kept_result_{key}"


def drop_kept_results(con, keys: list[str] | None = None) -> int:
    """Drop these kept results (None: every one), tables and list entries; how many."""
    if keys is None:
        keys = [r[0] for r in con.execute("SELECT key FROM kept_results").fetchall()]
    for key in keys:
        con.execute(f'DROP TABLE IF EXISTS "{kept_result_table(key)}"')
    if keys:
        con.execute("DELETE FROM kept_results WHERE list_contains(?, key)", [keys])
    return len(keys)


def derives_mrr(con) -> bool:
    """Whether part of the MRR history is derived from billing exports (a subscriptions or invoice-lines
    snapshot is current): then the workspace currency and the exchange rates shape it."""
    return bool(con.execute("SELECT count(*) FROM snapshots WHERE is_current "
                            "AND dataset IN ('subscriptions', 'invoice_lines')").fetchone()[0])


def derive_mrr(con) -> None:
    """Rebuild derived_mrr from the current billing exports: each account's MRR at each month's end (the
    exports' last day, for their last month; the sum of its lines in force then, mrr_lines), for the accounts
    the imported MRR history does not have."""
    con.execute("DELETE FROM derived_mrr")
    if not derives_mrr(con):
        return  # no billing export: nothing to derive (an MRR import does not expand empty lines)
    # a line alone in its account (no other line in force beside it) is the account's month as it is: only
    # the rows of accounts with overlapping lines are summed (at 1M invoice lines almost none are: 3.0 s -> 2.0 s)
    con.execute("""INSERT INTO derived_mrr
        WITH ml AS (SELECT account_id, month, mrr, plan, fx, alone, paid_from, paid_until FROM mrr_lines()
                    l WHERE counted AND NOT EXISTS (SELECT 1 FROM cur_mrr m WHERE m.account_id = l.account_id))
        SELECT account_id, month, mrr::DECIMAL(18,4), plan, fx::DECIMAL(18,4), paid_from, paid_until
        FROM ml WHERE alone AND mrr > 0
        UNION ALL
        SELECT account_id, month, sum(mrr)::DECIMAL(18,4), arg_max(plan, mrr), sum(fx)::DECIMAL(18,4),
               min(paid_from) FILTER (WHERE mrr > 0),
               CASE WHEN count(*) FILTER (WHERE mrr > 0) = count(paid_until) FILTER (WHERE mrr > 0)
                    THEN max(paid_until) FILTER (WHERE mrr > 0) END
        FROM ml WHERE NOT alone GROUP BY account_id, month HAVING sum(mrr) > 0""")


# Tables of what is kept from the stored rows (the MRR history's, the health scores): derived, and rebuilt or
# emptied by every migration (refresh_kept above), so a migration drops them first and creates them in this
# code's shape (a column added to one needs no step). The kept results are dropped through their list.
DERIVED_TABLES = ("derived_mrr", "kept_mrr_runs", "kept_mrr_months", "kept_mrr_accounts", "kept_mrr_grid",
                  "kept_health_scores", "kept_health_days", "kept_health_parts",
                  "kept_health_part_days", "kept_ready")

# Tables an older version kept and this one does not: kept_health (the parts combined, 8.4M rows at M; now
# combined when read).
OBSOLETE_TABLES = ("kept_health",)


def migrate(con) -> None:
    """Create the schema, or bring an older one up to SCHEMA_VERSION."""
    for table in (*DERIVED_TABLES, *OBSOLETE_TABLES):
        con.execute(f"DROP TABLE IF EXISTS {table}")  # our own names
    for stmt in _create_statements():
        con.execute(stmt)
    # a column added to a dataset since the file was made: empty in the rows stored before
    for dataset, cols in DATASETS.items():
        for column, kind in cols.items():
            con.execute(f'ALTER TABLE "{dataset}" ADD COLUMN IF NOT EXISTS "{column}" {_SQL_TYPES[kind]}')
    for stmt in _create_statements():
        if stmt.startswith("CREATE OR REPLACE VIEW"):  # their * reads the added columns too
            con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('data_version', '0') ON CONFLICT DO NOTHING")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    current = int(row[0]) if row else 0
    for stmt in _macro_statements():
        con.execute(stmt)
    if 0 < current < 2:
        # 2: exact money (DECIMAL instead of integer yen), import modes, snapshots made of members.
        for dataset, cols in DATASETS.items():
            for column, kind in cols.items():
                if kind == "money":
                    con.execute(f'ALTER TABLE "{dataset}" ALTER COLUMN "{column}" TYPE DECIMAL(18,4)')
        for column, kind in (("mode", "VARCHAR DEFAULT 'replace'"), ("parent_id", "BIGINT"),
                             ("rows_duplicate", "INTEGER DEFAULT 0")):
            con.execute(f"ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS {column} {kind}")
        con.execute("INSERT INTO snapshot_members SELECT snapshot_id, snapshot_id FROM snapshots")
    # kept results list their inputs (those made before are dropped by refresh_kept below)
    con.execute("ALTER TABLE kept_results ADD COLUMN IF NOT EXISTS inputs VARCHAR")
    # Future migrations go here as `if current < N: ...` steps.
    if current < SCHEMA_VERSION:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    refresh_kept(con)
    if row:  # an upgrade rebuilt what is kept: a new data version, so copies made before (Spark's) are made again
        con.execute("UPDATE meta SET value = (try_cast(value AS BIGINT) + 1)::VARCHAR "
                    "WHERE key = 'data_version' AND try_cast(value AS BIGINT) >= 0")
    # every kept result was dropped: with data, its refresh is pending (the app or the next report completes it)
    con.execute("INSERT INTO kept_ready SELECT value::BIGINT - (SELECT count(*) > 0 FROM snapshots WHERE is_current)::INT "
                "FROM meta WHERE key = 'data_version'")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_hash', ?)", [schema_hash()])

"""Where a result's SQL runs: DuckDB on this machine (the default, and the quick start's only engine), or
Apache Spark for data one machine cannot hold.

The runner builds a result's SQL and its bound values the same way for both; the engine in force runs it.
``using(engine)`` sets the engine for everything computed inside it (a report, ``prepare``): the results a
result builds on (the tier rule, the account list of the at-risk view) come from the same engine.

Spark reads the canonical datasets as Parquet, written from the local store by ``export_datasets`` (usage
and orders partitioned by month). Its results are small aggregates: collected as Arrow through the driver
(a cluster's or Spark Connect's executors never write where this machine reads) and read by DuckDB, so a
figure has the same column types whichever engine computed it.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from dashboard import frames
from dashboard.db import Database, version_in

if TYPE_CHECKING:
    import pyarrow as pa

ENGINES = ("duckdb", "spark")

# What Spark reads: the current rows of each dataset, and what is kept of the MRR history (the runs spells()
# reads, the accounts account_attrs() reads).
# name -> (SQL over the local store, Parquet partition column or None)
DATASETS: dict[str, tuple[str, str | None]] = {
    "cur_accounts": ("SELECT * FROM cur_accounts", None),
    "cur_mrr": ("SELECT * FROM cur_mrr", None),
    "cur_usage": ("SELECT *, strftime(date, '%Y-%m') AS part_month FROM cur_usage", "part_month"),
    "cur_touchpoints": ("SELECT * FROM cur_touchpoints", None),
    "cur_orders": ("SELECT *, strftime(order_date, '%Y-%m') AS part_month FROM cur_orders", "part_month"),
    "cur_opportunities": ("SELECT * FROM cur_opportunities", None),
    "kept_mrr_runs": ("SELECT * FROM kept_mrr_runs", None),
    "kept_mrr_months": ("SELECT * FROM kept_mrr_months", None),
    "kept_mrr_accounts": ("SELECT * FROM kept_mrr_accounts", None),
}


class EngineError(RuntimeError):
    """The engine cannot run (no Java, no pyspark, an unreachable cluster)."""


class DuckDBEngine:
    name = "duckdb"

    def query(self, db: Database, sql: str, values: dict[str, Any]) -> pd.DataFrame:
        return db.query(sql, values)


_current: contextvars.ContextVar[Any] = contextvars.ContextVar("engine", default=None)


def current() -> Any:
    """The engine in force (DuckDB unless inside ``using``)."""
    return _current.get() or DUCKDB


@contextlib.contextmanager
def using(engine: Any) -> Iterator[Any]:
    token = _current.set(engine)
    try:
        yield engine
    finally:
        _current.reset(token)


DUCKDB = DuckDBEngine()


VERSION_FILE = "_data_version"


def exported_version(folder: Path | str) -> int | None:
    """The data version the Parquet datasets in ``folder`` were written from (None: none there)."""
    try:
        return int((Path(folder) / VERSION_FILE).read_text())
    except (OSError, ValueError):
        return None


def ensure_exported(db: Database, folder: Path | str) -> Path:
    """The datasets in ``folder`` as of the current data: written again only when the data changed."""
    if exported_version(folder) != db.data_version():
        export_datasets(db, Path(folder))
    return Path(folder)


def export_datasets(db: Database, folder: Path) -> Path:
    """Write the datasets Spark reads as Parquet under ``folder`` (replacing what was there) and return it.
    The write goes to a sibling folder first and is swapped in whole, so a reader never sees half."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))

    def write(con: duckdb.DuckDBPyConnection) -> None:  # inside one read: every file from the same data
        for name, (sql, partition) in DATASETS.items():
            target = work / name
            # the target is our own temporary folder and the SQL our own constant: nothing from a user
            # an empty dataset (no orders loaded) is one empty file: Spark reads its columns from it
            if partition and not con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]:  # noqa: S608
                partition = None
            options = f"FORMAT parquet, PARTITION_BY ({partition})" if partition else "FORMAT parquet"
            if partition:
                con.execute(f"COPY ({sql}) TO '{target}' ({options})")  # noqa: S608
            else:
                target.mkdir()
                con.execute(f"COPY ({sql}) TO '{target / 'part-0.parquet'}' ({options})")  # noqa: S608
    try:
        version = db.read(lambda con: (write(con), version_in(con))[1])  # one snapshot of the data
        (work / VERSION_FILE).write_text(str(version))
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        work.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


_VIEWS: dict[int, str] = {}  # session -> the datasets folder its views read


@dataclass
class SparkRows:
    """A result computed on Spark, collected to this machine as Arrow (a small aggregate), in order, and
    how long Spark took."""

    table: pa.Table
    seconds: float


class SparkEngine:
    """Runs result SQL on Spark: ``master`` (``local[*]``, ``spark://host:7077``, ``yarn``) or a Spark
    Connect ``remote`` (``sc://host:15002``), over the Parquet datasets in ``data``."""

    name = "spark"

    def __init__(self, data: Path | str, *, master: str | None = None, remote: str | None = None,
                 conf: dict[str, str] | None = None):
        self.data, self.master, self.remote = str(data), master, remote
        self.conf = {"spark.sql.session.timeZone": "UTC",  # dates are dates: no shift through a zone
                     "spark.sql.ansi.enabled": "false",  # DuckDB's NULL on a failed cast, as the SQL expects
                     "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", **(conf or {})}
        self._spark = None

    @property
    def spark(self):
        """The session, its views reading this engine's datasets (a session is shared by the process:
        another engine over other data may have pointed them elsewhere meanwhile)."""
        if self._spark is None:
            self._spark = _session(self.master, self.remote, self.conf)
        if _VIEWS.get(id(self._spark)) != self.data:
            for name, (_, partition) in DATASETS.items():
                frame = self._spark.read.parquet(f"{self.data}/{name}")
                if partition:
                    frame = frame.drop(partition)
                frame.createOrReplaceTempView(name)
            _VIEWS[id(self._spark)] = self.data
        return self._spark

    def rows(self, db: Database, sql: str, values: dict[str, Any]) -> SparkRows:
        """Run the result on Spark; its rows, in order, collected as Arrow. Collected through the driver
        rather than written as files: on a cluster or through Spark Connect the executors' folders are
        not this machine's, and the pages' results are small (an account list is the largest)."""
        from dashboard.results.spark_sql import to_spark

        text = to_spark(sql, values)
        started = time.perf_counter()
        table = self.spark.sql(text).toArrow()
        return SparkRows(table, time.perf_counter() - started)

    def query(self, db: Database, sql: str, values: dict[str, Any]) -> pd.DataFrame:
        rows = self.rows(db, sql, values).table
        con = duckdb.connect()
        try:  # read by DuckDB: the same column types as the figure computed locally
            con.register("spark_rows", rows)
            return frames.fetch(con, "SELECT * FROM spark_rows")
        finally:
            con.close()

    def stop(self) -> None:
        if self._spark is not None:
            _VIEWS.pop(id(self._spark), None)
            self._spark.stop()
            self._spark = None


def from_setting(db: Database, setting: dict | None) -> Any:
    """The engine the workspace's ``engine`` setting names (DuckDB when unset), its datasets exported."""
    if not setting or setting.get("name", "duckdb") == "duckdb":
        return DUCKDB
    return SparkEngine(ensure_exported(db, setting["data"]), master=setting.get("master"),
                       remote=setting.get("remote"))


def java_missing() -> str | None:
    """Why Spark cannot start here (no pyspark, no Java), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -r requirements-spark.txt)"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Java is not installed (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def _session(master: str | None, remote: str | None, conf: dict[str, str]):
    reason = java_missing()
    if reason:
        raise EngineError(reason)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("cs-dashboard")
    builder = builder.remote(remote) if remote else builder.master(master or "local[*]")
    for key, value in conf.items():
        if not (remote and key == "spark.ui.enabled"):
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if not remote:
        spark.sparkContext.setLogLevel("ERROR")
    return spark

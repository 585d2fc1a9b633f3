"""Where a result's SQL runs: DuckDB on this machine (the default, and the quick start's only engine), or
Apache Spark for data one machine cannot hold.

The runner builds a result's SQL and its bound values the same way for both; the engine in force runs it.
``using(engine)`` sets the engine for everything computed inside it (a report, ``prepare``): the results a
result builds on (the tier rule, the account list of the at-risk view) come from the same engine.

Spark reads the canonical datasets as Parquet, written from the local store by ``export_datasets`` (usage
and orders partitioned by month). Its results are small aggregates: collected as Arrow through the driver
(a cluster's or Spark Connect's executors never write where this machine reads) and read by DuckDB, so a
figure has the same column types whichever engine computed it.

Reaching a cluster (a ``spark://`` master, a Spark Connect ``sc://`` server) takes at most ``timeout``
seconds, or fails with ``EngineError("cannot reach …")``; anything Spark raises while computing is an
``EngineError`` too (one line for the command line, never a Py4J or gRPC traceback). A process runs one
classic session (pyspark allows one SparkContext per process): the engines on the same master share it and
the last one to stop stops it; a Spark Connect engine has a session of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import socket
import subprocess
import tempfile
import threading
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
DEFAULT_TIMEOUT = 30.0  # seconds to reach a cluster (the engine setting's "timeout", --spark-timeout)

# What Spark reads: the current rows of each dataset, and what is kept of the MRR history (the runs spells()
# reads, the accounts account_attrs() reads).
# name -> (SQL over the local store, Parquet partition column or None)
DATASETS: dict[str, tuple[str, str | None]] = {
    "cur_accounts": ("SELECT * FROM cur_accounts", None),
    "mrr_history": ("SELECT * FROM mrr_history", None),
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
    Connect ``remote`` (``sc://host:15002``), over the Parquet datasets in ``data``; a cluster not reached
    within ``timeout`` seconds is an ``EngineError``."""

    name = "spark"

    def __init__(self, data: Path | str, *, master: str | None = None, remote: str | None = None,
                 conf: dict[str, str] | None = None, timeout: float | None = None):
        self.data, self.master, self.remote = str(data), master, remote
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self.conf = {"spark.sql.session.timeZone": "UTC",  # dates are dates: no shift through a zone
                     "spark.sql.ansi.enabled": "false",  # DuckDB's NULL on a failed cast, as the SQL expects
                     "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false", **(conf or {})}
        self._spark = None

    def reach(self):
        """The session: the cluster reached (within ``timeout``), before anything is written for it."""
        if self._spark is None:
            self._spark = _session(self.master, self.remote, self.conf, self.timeout)
        return self._spark

    @property
    def spark(self):
        """The session, its views reading this engine's datasets (a session is shared by the process:
        another engine over other data may have pointed them elsewhere meanwhile)."""
        self.reach()
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
        try:
            table = self.spark.sql(text).toArrow()
        except Exception as exc:
            if _spark_error(exc):  # an analysis error, a lost cluster: said in one line
                raise EngineError(f"Spark could not compute the result: {_first_line(exc)}") from exc
            raise
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
            spark, self._spark = self._spark, None
            _VIEWS.pop(id(spark), None)
            if self.remote:
                spark.stop()  # this engine's own Spark Connect session
            else:
                _release_classic(spark)


def from_setting(db: Database, setting: dict | None) -> Any:
    """The engine the workspace's ``engine`` setting names (DuckDB when unset), its datasets exported."""
    if not setting or setting.get("name", "duckdb") == "duckdb":
        return DUCKDB
    return SparkEngine(ensure_exported(db, setting["data"]), master=setting.get("master"),
                       remote=setting.get("remote"), timeout=setting.get("timeout"))


def java_missing(remote: str | None = None) -> str | None:
    """Why Spark cannot start here (no pyspark, no Java; for a Spark Connect ``remote``, no Connect
    client: it needs no Java here), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -r requirements-spark.txt)"
    if remote:
        try:
            import pyspark.sql.connect.session  # noqa: F401 - checks grpcio & co. on import
        except ImportError as exc:
            return (f"the Spark Connect client is not installed ({_first_line(exc)}): "
                    "pip install -r requirements-spark.txt")
        return None
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Java is not installed (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def _first_line(exc: BaseException) -> str:
    """An exception's message without its stack (Py4J and gRPC errors carry the server's)."""
    text = str(getattr(exc, "getMessage", lambda: None)() or exc).strip()
    for line in text.splitlines():
        line = line.strip().removeprefix(": ")  # Py4J: "An error occurred while calling …", then ": <error>"
        if line and not line.startswith(("An error occurred while calling", "JVM stacktrace", "at ")):
            return line[:500]
    return type(exc).__name__


def _spark_error(exc: BaseException) -> bool:
    """An error Spark raised (analysis, execution, a lost cluster or Connect server), not a bug here."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return isinstance(exc, (PySparkException, Py4JError))


def _addresses(url: str) -> list[tuple[str, int]]:
    """The host:port a ``spark://`` master (several with HA: ``spark://h1:7077,h2:7077``) or a Spark
    Connect ``sc://`` URL names; [] for other masters (local, yarn, k8s: nothing to probe here)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("spark", "sc"):
        return []
    default = 7077 if scheme == "spark" else 15002
    out = []
    for item in rest.split("/", 1)[0].split(";", 1)[0].split(","):
        item = item.strip()
        if item.startswith("["):  # [::1]:7077
            host, _, port = item[1:].partition("]")
            port = port.removeprefix(":")
        else:
            host, _, port = item.partition(":")
        host = host or "localhost"
        try:
            out.append((host, int(port) if port else default))
        except ValueError:
            raise EngineError(f"not a Spark address: {url}") from None
    return out


def _probe(url: str, timeout: float) -> float:
    """A TCP connection to the cluster within ``timeout``, else EngineError: a closed port or an
    unknown host is said at once rather than after Spark's own minutes of retries. Returns the time
    left of ``timeout``."""
    deadline = time.monotonic() + timeout
    addresses = _addresses(url)
    reasons = []
    for host, port in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            reasons.append(f"no answer within {timeout:g} s")
            break
        try:
            socket.create_connection((host, port), timeout=left).close()
            return max(deadline - time.monotonic(), 0.0)
        except TimeoutError:
            reasons.append(f"no answer within {timeout:g} s")
        except OSError as exc:
            reasons.append(exc.strerror or str(exc) or type(exc).__name__)
    if addresses:
        raise EngineError(f"cannot reach {url}: {reasons[0]}")
    return timeout


def _within(left: float, timeout: float, where: str, start: Any, abandon: Any) -> Any:
    """``start()`` in a thread of its own, at most the ``left`` seconds of ``timeout``: past that,
    ``abandon()`` (end what it started) and EngineError. Spark's own retries (a standalone master's
    registration, a Connect client's) take minutes and end in a stack."""
    done: dict[str, Any] = {}

    def run() -> None:
        try:
            done["value"] = start()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            done["error"] = exc

    thread = threading.Thread(target=run, name="spark-session", daemon=True)
    thread.start()
    thread.join(left)
    if thread.is_alive():
        abandon(thread)
        raise EngineError(f"cannot reach {where} within {timeout:g} s")
    if "error" in done:
        exc = done["error"]
        if isinstance(exc, EngineError):
            raise exc
        raise EngineError(f"cannot reach {where}: {_first_line(exc)}") from exc
    return done["value"]


def _session(master: str | None, remote: str | None, conf: dict[str, str], timeout: float = DEFAULT_TIMEOUT):
    reason = java_missing(remote)
    if reason:
        raise EngineError(reason)
    if remote:
        return _remote_session(remote, conf, timeout)
    return _classic_session(master or "local[*]", conf, timeout)


def _remote_session(remote: str, conf: dict[str, str], timeout: float):
    """A Spark Connect session of its own (not the process's default one, so it lives beside a classic
    session and other Connect sessions), reached within ``timeout``."""
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    left = _probe(remote, timeout)
    try:
        spark = ConnectSession(connection=remote)  # no request yet: the channel connects on the first
    except Exception as exc:  # a malformed URL
        raise EngineError(f"cannot reach {remote}: {_first_line(exc)}") from exc

    def start():
        for key, value in conf.items():  # SQL settings only: the others are the server's
            if key.startswith("spark.sql."):
                spark.conf.set(key, value)
        return spark

    def abandon(thread: threading.Thread) -> None:
        spark.client.close()  # the retrying request fails on the closed channel and the thread ends

    return _within(left, timeout, remote, start, abandon)


_CLASSIC: dict[str, Any] = {"session": None, "master": None, "users": 0}
_CLASSIC_LOCK = threading.Lock()


def _classic_session(master: str, conf: dict[str, str], timeout: float):
    """The process's classic session on ``master``: started (a cluster reached within ``timeout``), or the
    one already running there, shared. Another master while one runs is refused: pyspark would hand
    back the running session whatever master is asked for."""
    with _CLASSIC_LOCK:
        if _CLASSIC["session"] is not None:
            if _CLASSIC["master"] != master:
                raise EngineError(f"this process already computes on Spark {_CLASSIC['master']}: "
                                  f"one master at a time, not also {master}")
            _CLASSIC["users"] += 1
            return _CLASSIC["session"]
        from pyspark import SparkConf, SparkContext
        from pyspark.sql import SparkSession

        if SparkContext._active_spark_context is not None and SparkContext._active_spark_context.master != master:
            raise EngineError(f"this process already runs Spark on {SparkContext._active_spark_context.master}: "
                              f"one master at a time, not also {master}")
        builder = SparkSession.builder.appName("cs-dashboard").master(master)
        for key, value in conf.items():
            builder = builder.config(key, value)

        def start():
            spark = builder.getOrCreate()
            spark.sparkContext.setLogLevel("ERROR")
            return spark

        if master.startswith("local"):  # nothing to reach: no bound on starting Spark on this machine
            spark = start()
        else:
            left = _probe(master, timeout)
            # The JVM on this machine first (its start is not reaching the cluster); then registering with
            # the master, bounded: a standalone master that does not answer is retried for over a minute.
            SparkContext._ensure_initialized(conf=SparkConf().setAll([*conf.items(), ("spark.master", master)]))
            spark = _within(left, timeout, master, start, _abandon_classic)
        _CLASSIC.update(session=spark, master=master, users=1)
        return spark


def _abandon_classic(thread: threading.Thread) -> None:
    """End a SparkContext stuck reaching its master: its JVM is stopped (the blocked call then fails and
    the thread ends), and the next session starts a JVM of its own."""
    from pyspark import SparkContext

    process = getattr(SparkContext._gateway, "proc", None)
    if process is not None:
        process.kill()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            process.wait(10)
    thread.join(10)
    SparkContext._gateway = SparkContext._jvm = None
    SparkContext._active_spark_context = None


def _release_classic(spark: Any) -> None:
    """One engine less on the process's classic session: the last one stops it."""
    with _CLASSIC_LOCK:
        if _CLASSIC["session"] is not spark:  # not ours to count (already stopped)
            return
        _CLASSIC["users"] -= 1
        if _CLASSIC["users"] > 0:
            return
        _CLASSIC.update(session=None, master=None, users=0)
        spark.stop()

"""The Spark engine beyond local mode (issue 26, items 7 and 8): a standalone cluster (a master and a worker)
and a Spark Connect server, each started here as processes of their own from pyspark's own scripts, bound
to 127.0.0.1. The report and the exports computed there from the command line are DuckDB's; a cluster that
cannot be reached ends in one line on stderr within --spark-timeout, never Spark's minutes of retries and
a Py4J or gRPC stack.

Heavy (a master, a worker, its executor and a Connect server beside the test's own Spark: minutes on two
cores): marked ``spark``, ``-m "not spark"`` leaves them out. One cluster, then one Connect server, for
their whole class. Skipped with the reason without Java or pyspark.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dashboard import cli
from dashboard.db import Database
from dashboard.results import engines

REASON = engines.java_missing()
pytestmark = [pytest.mark.spark, pytest.mark.skipif(REASON is not None, reason=f"Spark engine: {REASON}")]
# Spark binds where its host name resolves (another interface than the loopback here): every JVM this
# process starts (the driver) is told 127.0.0.1, as are the cluster's processes below.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

START_SECONDS = 240  # a JVM on a busy two-core machine: generous, the tests do not wait when it is up
ON_CLUSTER = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
              "spark.executor.memory": "512m", "spark.cores.max": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def start(name: str, command: list[str], folder: Path, ready: str, memory: str = "256m") -> subprocess.Popen:
    """A Spark process of its own (its own process group, its log in ``folder``) with ``memory`` of heap,
    once ``ready`` is in its log."""
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_DAEMON_MEMORY": memory, "SPARK_LOG_DIR": str(folder), "SPARK_WORKER_DIR": str(folder / "work")}
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    deadline = time.monotonic() + START_SECONDS
    while ready not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"{name} did not start: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)
    return process


def stop(process: subprocess.Popen) -> None:
    """End a process started here and what it started (the worker's executor): its whole group."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(30)
    else:
        try:  # the process is gone; a child of its group may not be
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def store(demo_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cluster-store") / "demo.duckdb"
    shutil.copy(demo_file, path)
    return path


def duckdb_and_spark(store: Path, folder: Path, capfd, commands: list[list[str]], *spark: str) -> None:
    """The report or a list from the command line: the same on Spark (``spark``: where) as on DuckDB, and
    nothing on stderr. (Each command is minutes of Spark here: the cluster and Connect share the lists.)"""
    for command in commands:
        out = {}
        for engine, more in (("duckdb", []), ("spark", ["--engine", "spark", *spark])):
            extra = ["--out", str(folder / f"{command[-1]}-{engine}.csv")] if command[0] == "export" else []
            code = cli.main(["--db", str(store), *command, *extra, *more])
            printed, err = capfd.readouterr()
            assert code == 0 and "Traceback" not in err, f"{command} on {engine}: {err[-3000:]}"
            out[engine] = (folder / f"{command[-1]}-{engine}.csv").read_bytes() if extra else json.loads(printed)
        assert out["spark"] == out["duckdb"], command
        if command[0] == "export":
            assert out["duckdb"].count(b"\n") > 1, f"{command}: an empty list proves nothing"


# Unreachable first: the last one ends this process's Spark JVM, and the cluster tests below then start
# a session as after it.
def closed_port() -> int:
    return free_port()  # bound, then released: nothing listens there


@pytest.fixture
def silent_port():
    """A port that takes connections and never answers (a firewall that drops, a hung server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield s.getsockname()[1]


def report_on(store: Path, option: str, url: str, timeout: str) -> tuple[int, float]:
    started = time.monotonic()
    code = cli.main(["--db", str(store), "report", "--engine", "spark", option, url, "--spark-timeout", timeout])
    return code, time.monotonic() - started


@pytest.mark.parametrize("option,scheme", [("--spark-master", "spark"), ("--spark-remote", "sc")])
def test_a_closed_port_is_one_line_within_the_timeout(store, capfd, option, scheme):
    url = f"{scheme}://127.0.0.1:{closed_port()}"
    code, seconds = report_on(store, option, url, "5")
    out, err = capfd.readouterr()
    assert (code, out) == (2, "") and seconds < 5, (seconds, err[-2000:])
    assert err == f"--engine spark: cannot reach {url}: Connection refused\n"


def test_a_connect_server_that_never_answers_is_one_line_within_the_timeout(store, capfd, silent_port):
    url = f"sc://127.0.0.1:{silent_port}"
    code, seconds = report_on(store, "--spark-remote", url, "5")
    out, err = capfd.readouterr()
    assert (code, out) == (2, "") and 5 <= seconds < 5 + 2, (seconds, err[-2000:])
    assert err == f"--engine spark: cannot reach {url} within 5 s\n"


def test_a_master_that_never_answers_is_one_line_within_the_timeout(store, capfd, silent_port):
    """Spark retries registering with a standalone master for over a minute: past the timeout the JVM it
    runs in is ended, and the next session starts a JVM of its own (the cluster tests below do)."""
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized(conf=SparkConf())  # this process's JVM up first: its start is not timed
    capfd.readouterr()
    url = f"spark://127.0.0.1:{silent_port}"
    code, seconds = report_on(store, "--spark-master", url, "5")
    out, err = capfd.readouterr()
    assert (code, out) == (2, "") and 5 <= seconds < 5 + 15, (seconds, err[-2000:])  # + ending that JVM
    assert err.splitlines()[-1] == f"--engine spark: cannot reach {url} within 5 s", err[-2000:]
    assert "Traceback" not in err and SparkContext._gateway is None and SparkContext._active_spark_context is None


@pytest.fixture(scope="class")
def cluster(store, tmp_path_factory):
    """A master and a worker (1 core, 1 GB) on 127.0.0.1; and an engine there for the class, so the
    command line's runs share its application (one executor start, not one per run)."""
    folder = tmp_path_factory.mktemp("standalone")
    spark_class = str(spark_home() / "bin" / "spark-class")
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    master = start("master", [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                              "--port", str(port), "--webui-port", str(free_port())],
                   folder, "I have been elected leader")
    worker = engine = None
    try:
        worker = start("worker", [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                                  "--port", str(free_port()), "--webui-port", str(free_port()), "--cores", "1",
                                  "--memory", "1g", "--work-dir", str(folder / "work"), url],
                       folder, "Successfully registered with master")
        engine = engines.SparkEngine(engines.ensure_exported(Database(store), Path(f"{store}.spark")),
                                     master=url, conf=ON_CLUSTER, timeout=START_SECONDS)
        yield url, engine, folder
    finally:
        if engine is not None:
            engine.stop()
        if worker is not None:
            stop(worker)
        stop(master)


class TestStandaloneCluster:
    def test_the_report_and_account_list_are_duckdbs_on_a_standalone_cluster(self, cluster, store, capfd):
        url, engine, folder = cluster
        spark = engine.spark  # started: the command line's engines share it
        assert spark.sparkContext.master == url
        capfd.readouterr()
        duckdb_and_spark(store, folder, capfd, [["report"], ["export", "accounts"]], "--spark-master", url)
        executors = spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()
        assert len(executors) >= 2, "the driver alone: nothing ran on the worker"  # the driver and an executor


@pytest.fixture(scope="class")
def connect_server(tmp_path_factory):
    """A Spark Connect server (Spark on local[2] behind it) on 127.0.0.1, on a free port."""
    folder = tmp_path_factory.mktemp("connect")
    port = free_port()
    server = start("connect", [str(spark_home() / "bin" / "spark-submit"),
                               "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
                               "--name", "cs-dashboard-test", "--master", "local[2]",
                               "--conf", "spark.ui.enabled=false",
                               "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
                               "--conf", f"spark.connect.grpc.binding.port={port}"],
                   folder, "Spark Connect server started", memory="768m")  # its driver's heap
    try:
        yield f"sc://127.0.0.1:{port}", folder
    finally:
        stop(server)


class TestSparkConnect:
    def test_the_report_and_call_list_are_duckdbs_through_spark_connect(self, connect_server, store, capfd):
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        url, folder = connect_server
        engine = engines.SparkEngine(engines.ensure_exported(Database(store), Path(f"{store}.spark")), remote=url)
        try:
            assert isinstance(engine.spark, ConnectSession)  # a Connect client, no Spark of its own here
        finally:
            engine.stop()
        capfd.readouterr()
        duckdb_and_spark(store, folder, capfd, [["report"], ["export", "at-risk"]], "--spark-remote", url)

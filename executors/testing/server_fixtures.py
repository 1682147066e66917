"""Pytest fixtures that start real engine servers for the tests, once per session: a DuckDB Quack
server (`manage.py quack_serve` serving the demo data with a token) and a local Spark Connect
server from the pip pyspark package (the same demo tables, registered from Parquet). Both bind
127.0.0.1 only, on free ports, and are stopped at the end. A server that cannot start fails the
tests that need it; nothing is skipped."""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from executors.engines.duckdb_remote import RemoteDuckDBEngine
from executors.engines.spark import SparkEngine

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SCALE = float(os.environ.get("VIZORCH_TEST_DEMO_SCALE", "0.02"))
QUACK_START_TIMEOUT_S = 60.0
SPARK_START_TIMEOUT_S = 180.0
SPARK_DRIVER_MEMORY = os.environ.get("VIZORCH_TEST_SPARK_MEMORY", "1g")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes], *, group: bool) -> None:
    """SIGTERM, then SIGKILL after a grace period: only this process (or the process group this
    module created for it)."""
    if process.poll() is not None:
        return
    kill = (lambda sig: os.killpg(process.pid, sig)) if group else process.send_signal
    with contextlib.suppress(ProcessLookupError):
        kill(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            kill(signal.SIGKILL)
        process.wait(timeout=10)


# --- DuckDB Quack -------------------------------------------------------------------------------


@dataclass
class QuackServer:
    uri: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """Stop the server abruptly (failover tests)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        _stop(self.process, group=False)


def start_quack_server(
    database: Path,
    token: str,
    log_dir: Path,
    *,
    threads: int = 1,
    memory_limit: str = "512MB",
) -> QuackServer:
    """Start `manage.py quack_serve` on a free loopback port, as a service runs (stdin closed),
    and wait for its READY line; raise with the server's log when it does not come."""
    port = free_port()
    log = log_dir / f"quack-{port}.log"
    env = {**os.environ, "QUACK_TOKEN": token, "PYTHONPATH": str(REPO_ROOT)}
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "quack_serve",
                "--database",
                str(database),
                "--port",
                str(port),
                "--threads",
                str(threads),
                "--memory-limit",
                memory_limit,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=REPO_ROOT,
            env=env,
        )
    assert process.stdout is not None
    deadline = time.monotonic() + QUACK_START_TIMEOUT_S
    line = b""
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            break
    if not line.startswith(b"READY "):
        _stop(process, group=False)
        raise RuntimeError(
            f"The Quack server on port {port} did not start (exit {process.returncode}):\n"
            f"{_tail(log)}"
        )
    return QuackServer(uri=line.decode().split()[1], token=token, process=process, log=log)


@contextlib.contextmanager
def running_quack_server(database: Path, token: str, log_dir: Path) -> Iterator[QuackServer]:
    server = start_quack_server(database, token, log_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def quack_demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo dataset at test scale, served by the Quack and Spark test servers."""
    from executors.demo_data import ensure_demo_database

    path = tmp_path_factory.mktemp("served") / "demo.duckdb"
    ensure_demo_database(path, scale=DEMO_SCALE)
    return path


@pytest.fixture(scope="session")
def quack_server(
    quack_demo_database: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QuackServer]:
    """A real DuckDB Quack server serving the demo data, token-protected, for the session."""
    with running_quack_server(
        quack_demo_database, secrets.token_urlsafe(16), tmp_path_factory.mktemp("quack")
    ) as server:
        yield server


@pytest.fixture(scope="session")
def remote_engine(quack_server: QuackServer) -> Iterator[RemoteDuckDBEngine]:
    """A remote DuckDB engine named "remote" on the session's Quack server."""
    engine = RemoteDuckDBEngine("remote", [quack_server.uri], quack_server.token)
    yield engine
    engine.close()


# --- Spark Connect ------------------------------------------------------------------------------


@dataclass
class SparkConnectServer:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path
    work_dir: Path
    ui_url: str = ""

    def stop(self) -> None:
        _stop(self.process, group=True)

    def _monitoring(self, path: str, **params: str) -> list[dict[str, Any]]:
        """A list from the driver's monitoring REST API for this server's one application."""
        import httpx

        base = f"{self.ui_url}/api/v1/applications"
        app = httpx.get(base, timeout=60).json()[0]["id"]
        found: list[dict[str, Any]] = httpx.get(
            f"{base}/{app}/{path}", params=params, timeout=120
        ).json()
        return found

    def jobs(self) -> list[dict[str, Any]]:
        """The cluster's own account of its jobs, with their status (RUNNING, SUCCEEDED,
        FAILED) and job tags: what tests check a cancel against."""
        return self._monitoring("jobs")

    def sql_plans(self, job_ids: set[int]) -> list[str]:
        """The physical plans of the SQL executions that ran any of these jobs."""
        executions = self._monitoring("sql", details="true", planDescription="true")
        return [
            execution["planDescription"]
            for execution in executions
            if job_ids & set(execution["successJobIds"] + execution["runningJobIds"])
        ]

    def stages(self) -> list[dict[str, Any]]:
        """Every stage with its status and, for a failed one, Spark's reason."""
        return self._monitoring("stages")

    def assert_stopped(self, tag: str, *, bound_s: float = 60.0) -> list[dict[str, Any]]:
        """The driver's own account of a stopped statement: it reached the cluster, none of its
        jobs runs any more, and each ended cancelled (FAILED, its stage failed as cancelled),
        none succeeded. Killed tasks are not asked for: a job cancelled before its tasks
        launched (a stop just after the stage was submitted) kills none, and the killed tasks of
        a job that had them are counted only after the job's end is recorded."""
        deadline = time.monotonic() + bound_s
        while True:
            jobs = self.jobs_tagged(tag)
            if jobs and all(job["status"] != "RUNNING" for job in jobs):
                break
            assert time.monotonic() < deadline, f"the cluster still runs {tag}: {jobs}"
            time.sleep(0.2)
        assert all(job["status"] == "FAILED" for job in jobs), jobs
        stage_ids = {stage for job in jobs for stage in job["stageIds"]}
        reasons = [
            stage.get("failureReason") or ""
            for stage in self.stages()
            if stage["stageId"] in stage_ids and stage["status"] == "FAILED"
        ]
        assert reasons and all("SPARK_JOB_CANCELLED" in reason for reason in reasons), reasons
        return jobs

    def jobs_tagged(self, tag: str) -> list[dict[str, Any]]:
        """Jobs of a Vizorch statement run under `tag` (the engine tags them `vizorch-<tag>`)."""
        # Spark Connect wraps a session's tags: "SparkConnect_SessionTag_..._Tag_<tag>".
        mine = f"_Tag_vizorch-{tag}"
        return [job for job in self.jobs() if any(t.endswith(mine) for t in job["jobTags"])]

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it answers nothing, a cancel included, until `resume`."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)


def _spark_home() -> Path:
    from pyspark.find_spark_home import _find_spark_home

    home = Path(_find_spark_home())
    if not (home / "bin" / "spark-submit").is_file():
        raise RuntimeError(f"No spark-submit under {home}: is pyspark installed with its jars?")
    return home


def start_spark_connect_server(work_dir: Path, token: str) -> SparkConnectServer:
    """A local[2] Spark Connect server (spark-submit in the foreground, its own process group)
    with a bounded driver, no UI, few shuffle partitions, and every scratch path in `work_dir`."""
    port, ui_port = free_port(), free_port()
    log = work_dir / "spark-connect.log"
    for sub in ("local", "warehouse", "tmp"):
        (work_dir / sub).mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE"}
    }
    env.update(
        SPARK_HOME=str(_spark_home()),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_CONNECT_AUTHENTICATE_TOKEN=token,
        PYSPARK_PYTHON=sys.executable,
    )
    conf = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        # The UI's REST API is how tests see the cluster's side of a cancel.
        "spark.ui.enabled": "true",
        "spark.ui.port": str(ui_port),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.local.dir": str(work_dir / "local"),
        "spark.sql.warehouse.dir": str(work_dir / "warehouse"),
        "spark.default.parallelism": "2",
        # Test jobs take a second or two; at the default 2 s interval a warm server finishes them
        # before its first progress report.
        "spark.connect.progress.reportInterval": "100ms",
        # Serial GC and C1-only JIT: a faster start and less CPU on a small shared machine.
        "spark.driver.extraJavaOptions": (
            f"-Djava.io.tmpdir={work_dir / 'tmp'} -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
        ),
    }
    command = [
        str(Path(env["SPARK_HOME"]) / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--name",
        "vizorch-tests",
        "--master",
        "local[2]",
        "--driver-memory",
        SPARK_DRIVER_MEMORY,
    ]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=work_dir,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + SPARK_START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if "Spark Connect server started" in log.read_text(errors="replace"):
            break
        time.sleep(0.5)
    else:
        _stop(process, group=True)
        raise RuntimeError(
            f"The Spark Connect server did not start within {SPARK_START_TIMEOUT_S:g}s "
            f"(exit {process.returncode}; needs Java 17 on PATH or JAVA_HOME):\n{_tail(log)}"
        )
    # "localhost" (not 127.0.0.1): pyspark sends a token without TLS only to that host name.
    return SparkConnectServer(
        url=f"sc://localhost:{port}",
        token=token,
        process=process,
        log=log,
        work_dir=work_dir,
        ui_url=f"http://127.0.0.1:{ui_port}",
    )


_SPARK_TYPES = {
    "BOOLEAN": "BOOLEAN",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "VARCHAR": "STRING",
    "DATE": "DATE",
}


def _spark_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type
    return _SPARK_TYPES[duckdb_type]


def register_demo_tables(server: SparkConnectServer, database: Path) -> None:
    """Copy the demo tables to Parquet and register them as Spark tables, with the same column
    types and comments, one CREATE TABLE each."""
    from pyspark.sql.connect.session import SparkSession

    data_dir = server.work_dir / "demo"
    data_dir.mkdir(exist_ok=True)
    statements = []
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "SELECT table_name, coalesce(comment, '') FROM duckdb_tables() "
            "WHERE schema_name = 'main' ORDER BY table_name"
        ).fetchall()
        for table, comment in tables:
            columns = con.execute(
                "SELECT column_name, data_type, coalesce(comment, '') FROM duckdb_columns() "
                "WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index",
                [table],
            ).fetchall()
            (data_dir / table).mkdir(exist_ok=True)
            con.execute(f"COPY {table} TO '{data_dir / table / 'part-0.parquet'}' (FORMAT parquet)")
            schema = ", ".join(
                f"{name} {_spark_type(data_type)} COMMENT {_spark_literal(note)}"
                for name, data_type, note in columns
            )
            statements.append(
                f"CREATE TABLE {table} ({schema}) USING parquet "
                f"COMMENT {_spark_literal(comment)} LOCATION '{data_dir / table}'"
            )
    spark = SparkSession.builder.remote(f"{server.url}/;token={server.token}").create()
    try:
        for statement in statements:
            spark.sql(statement)
    finally:
        spark.stop()


def _spark_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.fixture(scope="session")
def spark_connect_server(
    quack_demo_database: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkConnectServer]:
    """A real local Spark Connect server with the demo tables, token-protected, for the session."""
    server = start_spark_connect_server(tmp_path_factory.mktemp("spark"), secrets.token_urlsafe(16))
    try:
        register_demo_tables(server, quack_demo_database)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark_engine(
    spark_connect_server: SparkConnectServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkEngine]:
    """A Spark engine named "spark" on the session's Spark Connect server."""
    engine = SparkEngine(
        "spark",
        spark_connect_server.url,
        spark_connect_server.token,
        tmp_path_factory.mktemp("spark-results"),
    )
    yield engine
    engine.close()

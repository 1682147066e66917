"""The servers under test. The default is daphne on the embedded defaults (SQLite, in-memory
channel layer with the run worker in the same process, local DuckDB, offline model); with
PostgreSQL and Redis URLs it is daphne plus a separate `manage.py runworker` for the runs.
Each runs on var/bench with the demo data at scale 1.0, generated once and reused by later runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from vizorch_site.serve import web_processes
from vizorch_site.testing import BASE_DIR, LiveServer

VAR_DIR = BASE_DIR / "var" / "bench"
DEMO_SCALE = "1.0"
# With Redis: the channel the bench's run worker consumes, its own so no other worker on the same
# Redis picks up the bench's runs.
RUNS_CHANNEL = "vizorch.bench.runs"


@dataclass
class BenchServer:
    live: LiveServer
    token: str
    worker: subprocess.Popen[bytes] | None = None
    label: str = "embedded defaults"
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.live.url

    @property
    def pid(self) -> int:
        assert self.live.process is not None
        return self.live.process.pid

    @property
    def pids(self) -> list[int]:
        """The web processes (daphne), and the run worker when it is a process of its own."""
        return self.live.pids + ([self.worker.pid] if self.worker is not None else [])

    @property
    def duckdb_path(self) -> Path:
        return self.live.var_dir / "demo.duckdb"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def rss_bytes(self) -> int:
        return sum(rss_bytes(pid) for pid in self.pids)


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reset(var_dir: Path) -> None:
    """Forget the previous run's database and results; keep the generated demo data."""
    var_dir.mkdir(parents=True, exist_ok=True)
    for name in ("vizorch.sqlite3", "vizorch.sqlite3-journal", "vizorch.sqlite3-wal"):
        (var_dir / name).unlink(missing_ok=True)
    shutil.rmtree(var_dir / "results", ignore_errors=True)
    for log in [*var_dir.glob("daphne-*.log"), *var_dir.glob("runworker-*.log")]:
        log.unlink()


def ensure_postgres_database(url: str) -> None:
    """Create the database a PostgreSQL URL names when it does not exist yet."""
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name = name.split("?", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as con:
        exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def bench_server(
    var_dir: Path = VAR_DIR,
    *,
    database_url: str = "",
    redis_url: str = "",
    extra_env: dict[str, str] | None = None,
) -> Iterator[BenchServer]:
    """A migrated, seeded daphne process with an API token for the demo analyst; with both URLs,
    on PostgreSQL and Redis with a separate run worker process; `extra_env` adds settings."""
    reset(var_dir)
    services = bool(database_url and redis_url)
    if services:
        ensure_postgres_database(database_url)
    live = LiveServer(
        var_dir=var_dir,
        extra_env={
            "VIZORCH_DEMO_SCALE": DEMO_SCALE,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url if services else "",
            "REDIS_URL": redis_url if services else "",
            "VIZORCH_RUNS_CHANNEL": RUNS_CHANNEL,
            # As many daphne processes as `make run` starts with these settings.
            "VIZORCH_WEB_PROCESSES": str(
                web_processes({**os.environ, "REDIS_URL": redis_url}) if services else 1
            ),
            **(extra_env or {}),
        },
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        live.start()
        if services:
            worker = start_worker(live)
        yield BenchServer(
            live=live,
            token=live.api_token("analyst"),
            worker=worker,
            label=(
                f"PostgreSQL + Redis, {live.env['VIZORCH_WEB_PROCESSES']} daphne process(es), "
                "separate run worker"
                if services
                else "embedded defaults"
            ),
        )
    finally:
        if worker is not None:
            stop_worker(worker)
        live.stop()


def start_worker(live: LiveServer, name: str = "") -> subprocess.Popen[bytes]:
    """A `manage.py runworker` for the server's runs channel, logging to its var directory."""
    log = (live.var_dir / f"runworker-{live.port}{name}.log").open("wb")
    try:
        return subprocess.Popen(
            [sys.executable, "manage.py", "runworker", RUNS_CHANNEL],
            cwd=BASE_DIR, env=live.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    finally:
        log.close()


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

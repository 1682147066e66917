"""A real Vizorch server for tests: daphne in a subprocess on a free loopback port, on its own
var directory, migrated and seeded. Tests talk to it over HTTP like any client."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

from vizorch_site.serve import web_processes

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-pass-4-tests"
# Generous: on a loaded machine (parallel test runs) importing Django and the apps alone can
# take a minute.
STARTUP_TIMEOUT_S = 180.0
# Debian's Chromium for the browser tests and benchmarks, never a downloaded build; these flags
# keep it off the (closed) network.
CHROMIUM = os.environ.get("VIZORCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class LiveServer:
    """A running daphne process serving Vizorch, with the demo users seeded."""

    var_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    prepare: bool = True
    # The demo gallery costs a few offline runs at every start: only tests of it ask for it.
    seed_gallery: bool = False
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "VIZORCH_VAR_DIR": str(self.var_dir),
            "VIZORCH_DEMO_PASSWORD": DEMO_PASSWORD,
            "VIZORCH_DEMO_SCALE": os.environ.get("VIZORCH_TEST_DEMO_SCALE", "0.02"),
            "DEBUG": "1",
            "PYTHONUNBUFFERED": "1",
            # Its own key prefix, so servers of parallel test runs sharing one Redis never
            # consume each other's runs.
            "VIZORCH_CHANNEL_PREFIX": f"vizorch-test-{uuid.uuid4().hex[:12]}",
            # The live server keeps its own SQLite file unless a test asks for something else, so
            # it never shares pytest-django's throw-away test database.
            "DATABASE_URL": "",
            # One daphne process, as `make run` starts by default, unless a test asks for more
            # (vizorch_site/serve.py); tests that stop or watch daphne know its pid.
            "VIZORCH_WEB_PROCESSES": "1",
            **self.extra_env,
        }
        if self.prepare:
            _manage(self.env, "migrate", "--no-input")
            _manage(self.env, "seed_demo", *(() if self.seed_gallery else ("--no-gallery",)))
        self.port = free_port()
        self.log_path = self.var_dir / f"daphne-{self.port}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "vizorch_site.serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "vizorch_site.asgi:application",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early:\n{self.log()}")
            try:
                httpx.get(f"{self.url}/api/health", timeout=2.0)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not answer within {STARTUP_TIMEOUT_S}s:\n{self.log()}")

    @property
    def pids(self) -> list[int]:
        """The web processes: daphne itself, or the processes `vizorch_site.serve` started."""
        if self.process is None:
            return []
        if web_processes(self.env) == 1:
            return [self.process.pid]  # the launcher became daphne
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            started = [int(pid) for pid in children.read_text().split()]
        except OSError:
            started = []
        return started or [self.process.pid]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def manage(self, *args: str) -> str:
        """Run a management command against this server's database."""
        return _manage(self.env, *args)

    def api_token(self, username: str) -> str:
        return self.manage("create_api_token", username).strip().splitlines()[-1]

    def login(self, client: httpx.Client, username: str, password: str = DEMO_PASSWORD) -> None:
        """Sign in through the login form, as a browser would; leaves the session and CSRF cookies
        on `client` and sets the X-CSRFToken header for API calls."""
        page = client.get(f"{self.url}/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if match is None:
            raise RuntimeError("login page has no CSRF token")
        response = client.post(
            f"{self.url}/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": match[1]},
            headers={"Referer": f"{self.url}/login/"},
        )
        if "sessionid" not in client.cookies:
            raise RuntimeError(f"login as {username} failed: {response.status_code}")
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
        client.headers["Referer"] = f"{self.url}/"


@contextmanager
def running_server(
    var_dir: Path, *, prepare: bool = True, **extra_env: str
) -> Iterator[LiveServer]:
    server = LiveServer(var_dir=var_dir, extra_env=dict(extra_env), prepare=prepare)
    try:
        yield server.start()
    finally:
        server.stop()


@contextmanager
def fresh_postgres_database(postgres_url: str, prefix: str = "test_vz_live") -> Iterator[str]:
    """The URL of a new database on the server `postgres_url` names, dropped afterwards."""
    base = postgres_url.rsplit("/", 1)[0]
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
            con.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def redis_database(url: str, db: str) -> str:
    """`url` on Redis database `db`, with a socket timeout above channels-redis's 5 s blocking
    pop, which redis-py 8's default read timeout (5 s) would otherwise cut off (the worker dies)."""
    parts = urlsplit(url)
    query = (
        parts.query
        if "socket_timeout" in parts.query
        else "&".join(filter(None, [parts.query, "socket_timeout=15"]))
    )
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", query, parts.fragment))


def runs_held_by_worker(database_url: str, pid: int) -> tuple[int, int]:
    """Runs the run worker process `pid` holds on this PostgreSQL database: (running, queued)."""
    with psycopg.connect(database_url) as con:
        row = con.execute(
            "SELECT count(*) FILTER (WHERE status = 'running'), "
            "count(*) FILTER (WHERE status = 'pending') FROM chat_run "
            "WHERE worker_id LIKE %s AND status IN ('running', 'pending')",
            [f"%:{pid}:%"],
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)

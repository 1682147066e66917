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

import httpx
import psycopg

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


# Connections the kernel holds for daphne before it accepts them, as `make run` sets it (Makefile):
# at Twisted's default of 50, a burst of connections overflows the queue and the kernel drops the
# rest, whose clients try again a second later (200 streams at once: 46 of them).
LISTEN_BACKLOG = 1024


def listen_endpoint(host: str, port: int, backlog: int = LISTEN_BACKLOG) -> str:
    """daphne's `-e` endpoint for a TCP port (Twisted's syntax: colons of an IPv6 host escaped)."""
    interface = host.strip("[]").replace(":", r"\:")
    return f"tcp:port={port}:interface={interface}:backlog={backlog}"


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
                    "daphne",
                    "-e",
                    listen_endpoint("127.0.0.1", self.port),
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

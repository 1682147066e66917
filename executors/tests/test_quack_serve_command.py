"""Issue 16, finding 12: `manage.py quack_serve` runs as a service: started with stdin closed (as
under systemd or `nohup ... </dev/null`) it keeps serving, it serves read-only and locked down,
and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from executors.engines.base import QueryLimits
from executors.engines.duckdb_remote import RemoteDuckDBEngine
from executors.errors import QueryFailed
from executors.testing.server_fixtures import REPO_ROOT, QuackServer, start_quack_server

LIMITS = QueryLimits(max_rows=100, timeout_s=30)


@pytest.fixture
def server(quack_demo_database: Path, tmp_path: Path) -> Iterator[QuackServer]:
    started = start_quack_server(quack_demo_database, secrets.token_urlsafe(12), tmp_path)
    yield started
    started.stop()


def _count_stores(server: QuackServer) -> int:
    engine = RemoteDuckDBEngine("quack-serve", [server.uri], server.token)
    try:
        result = engine.run("SELECT count(*) AS n FROM stores", limits=LIMITS, tag="count")
        assert result.table is not None
        return int(result.table.column("n")[0].as_py())
    finally:
        engine.close()


def test_started_with_stdin_closed_it_keeps_serving(server: QuackServer) -> None:
    # The server's stdin is /dev/null (see start_quack_server); the old script read stdin and
    # exited at its end, right after READY.
    time.sleep(2.0)
    assert server.process.poll() is None, server.log.read_text()
    assert _count_stores(server) == 50
    assert server.process.poll() is None


def test_sigterm_stops_it_cleanly(server: QuackServer) -> None:
    assert _count_stores(server) == 50
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert server.process.stdout is not None
    assert server.process.stdout.read().decode().strip() == f"stopped {server.uri}"
    host, port = server.uri.removeprefix("quack:").rsplit(":", 1)
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=5):
        pass


def test_it_serves_read_only_without_file_access(server: QuackServer) -> None:
    engine = RemoteDuckDBEngine("quack-serve", [server.uri], server.token)
    try:
        # Straight to the engine, past Vizorch's guard: the server itself must refuse.
        with pytest.raises(QueryFailed, match="disabled by configuration"):
            engine.run("SELECT * FROM read_text('/etc/hostname')", limits=LIMITS, tag="file")
        with pytest.raises(QueryFailed, match="read-only"):
            engine.run("CREATE TABLE stolen AS SELECT 1 AS a", limits=LIMITS, tag="write")
        with pytest.raises(QueryFailed, match="locked"):
            engine.run("SET enable_external_access = true", limits=LIMITS, tag="unlock")
    finally:
        engine.close()


def test_it_refuses_to_start_without_a_token(quack_demo_database: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "QUACK_TOKEN"}
    finished = subprocess.run(
        [sys.executable, "manage.py", "quack_serve", "--database", str(quack_demo_database)],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "QUACK_TOKEN" in finished.stderr


def test_it_reads_the_token_from_a_file(quack_demo_database: Path, tmp_path: Path) -> None:
    token = secrets.token_urlsafe(12)
    token_file = tmp_path / "quack-token"
    token_file.write_text(token + "\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if key != "QUACK_TOKEN"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "quack_serve", "--database", str(quack_demo_database),
         "--port", str(port), "--token-file", str(token_file)],
        cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        assert line == f"READY quack:127.0.0.1:{port}"
        served = QuackServer(uri=line.split()[1], token=token, process=process, log=token_file)
        assert _count_stores(served) == 50
    finally:
        process.terminate()
        process.wait(timeout=30)

"""Several web processes on one port (`python -m vizorch_site.serve`, as `make run` starts them with
Redis): the kernel spreads connections over every process, a stream started on one resumes on
another, SIGTERM stops them all cleanly, one that dies takes the server down with it rather than
leaving it half up, and without Redis more than one is refused with a message saying why."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vizorch_site.testing import (
    BASE_DIR,
    LiveServer,
    free_port,
    fresh_postgres_database,
    redis_database,
)

PROCESSES = 2
# A bound for waiting on the server, not a measured duration.
PATIENCE_S = 60.0


@pytest.fixture
def web_processes_server(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> Iterator[tuple[LiveServer, subprocess.Popen[bytes]]]:
    """Two daphne processes on PostgreSQL + Redis, with a run worker (the offline model)."""
    with fresh_postgres_database(postgres_url) as database:
        server = LiveServer(
            var_dir=tmp_path,
            extra_env={
                "DATABASE_URL": database,
                "REDIS_URL": redis_database(redis_url, "10"),
                "VIZORCH_RUNS_CHANNEL": f"vizorch.runs.test{free_port()}",
                "VIZORCH_WEB_PROCESSES": str(PROCESSES),
                "VIZORCH_DB_POOL_SIZE": "3",
            },
        )
        worker: subprocess.Popen[bytes] | None = None
        try:
            server.start()
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "runworker", server.env["VIZORCH_RUNS_CHANNEL"]],
                cwd=BASE_DIR,
                env=server.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            yield server, worker
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
            server.stop()


def _owner(server: LiveServer, connection: http.client.HTTPConnection) -> int | None:
    """The web process holding the server's end of `connection` (from /proc/net/tcp's socket
    inodes and each process's open files)."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
        if local == server.port and remote == client_port:
            inode = fields[9]
    for pid in server.pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def _connect(server: LiveServer) -> tuple[http.client.HTTPConnection, int]:
    """A keep-alive connection and the process that accepted it (known once it has answered)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=PATIENCE_S)
    connection.request("GET", "/api/health")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    owner = _owner(server, connection)
    assert owner is not None
    return connection, owner


def _events(response: http.client.HTTPResponse, stop_after: int | None = None) -> list[Any]:
    """SSE events as (seq, name, data), read until `done` or `stop_after` events."""
    events: list[Any] = []
    fields: dict[str, str] = {}
    while stop_after is None or len(events) < stop_after:
        line = response.readline().decode()
        if not line:
            break
        line = line.rstrip("\n")
        if line:
            key, _, value = line.partition(": ")
            fields[key] = value
            continue
        if "event" in fields:
            events.append(
                (int(fields["id"].rsplit(":", 1)[1]), fields["event"], json.loads(fields["data"]))
            )
            if fields["event"] == "done":
                break
        fields = {}
    return events


def test_every_web_process_accepts_connections_and_a_stream_resumes_on_another(
    web_processes_server: tuple[LiveServer, subprocess.Popen[bytes]],
) -> None:
    server, _ = web_processes_server
    assert len(server.pids) == PROCESSES
    token = server.api_token("analyst")
    auth = {"Authorization": f"Bearer {token}"}
    connections = [_connect(server) for _ in range(24)]
    owners = {owner for _, owner in connections}
    assert owners == set(server.pids)

    (first, started_on), *rest = connections
    other = next(connection for connection, owner in rest if owner != started_on)
    first.request(
        "POST",
        "/api/chat",
        body=json.dumps({"prompt": "Show total sales by region"}),
        headers={**auth, "Content-Type": "application/json"},
    )
    begun = _events(first.getresponse(), stop_after=2)
    first.close()
    run_id = begun[0][2]["run_id"]
    other.request(
        "GET",
        f"/api/runs/{run_id}/events",
        headers={**auth, "Last-Event-ID": f"{run_id}:{begun[-1][0]}"},
    )
    resumed = _events(other.getresponse())
    seqs = [seq for seq, _, _ in begun + resumed]
    assert seqs == list(range(1, len(seqs) + 1))
    assert resumed[-1][1] == "done"
    assert resumed[-1][2]["data_ready"] is True
    assert not any(name == "error" for _, name, _ in resumed)
    for connection, _ in connections:
        connection.close()

    pids = server.pids
    server.stop()
    assert server.process is not None and server.process.returncode == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_a_web_process_that_dies_stops_the_server_instead_of_leaving_it_half_up(
    web_processes_server: tuple[LiveServer, subprocess.Popen[bytes]],
) -> None:
    server, _ = web_processes_server
    victim, survivor = server.pids
    os.kill(victim, signal.SIGKILL)
    assert server.process is not None
    assert server.process.wait(timeout=PATIENCE_S) != 0
    deadline = time.monotonic() + PATIENCE_S
    while Path(f"/proc/{survivor}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{survivor}").exists()
    assert f"web process {victim} ended" in server.log()


def test_several_web_processes_without_redis_are_refused_with_the_reason() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vizorch_site.serve", "--port", str(free_port())],
        cwd=BASE_DIR,
        env={**os.environ, "REDIS_URL": "", "VIZORCH_WEB_PROCESSES": "2"},
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
    )
    assert result.returncode == 2
    assert "VIZORCH_WEB_PROCESSES above 1 needs REDIS_URL" in result.stderr

"""Fixtures for the chat tests: real daphne servers over HTTP. `live_server` (root conftest) runs
the embedded defaults with the offline model; the servers here run the `openai-compatible:` provider
against a scripted model on loopback, once with the in-memory layer (embedded worker) and once with
Redis plus a separate `manage.py runworker vizorch.runs`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chat.tests.scripted_llm import ScriptedLLM
from vizorch_site.testing import (
    BASE_DIR,
    LiveServer,
    free_port,
    fresh_postgres_database,
    redis_database,
)

# Short enough that the disconnect tests finish quickly, long enough that a busy machine does not
# cancel runs that are being listened to.
ORPHAN_TIMEOUT_S = "4"
HEARTBEAT_S = "0.5"
# Database 11 keeps these channels apart from other suites sharing the Redis server.
REDIS_DB = "11"


@pytest.fixture(autouse=True)
def _live_server_helper() -> Iterator[None]:
    """pytest-django's autouse helper of the same name assumes `live_server` is its own Django
    LiveServer and fails on ours (a daphne subprocess); our servers need none of its set-up."""
    yield


@pytest.fixture(scope="session")
def scripted_llm() -> Iterator[ScriptedLLM]:
    llm = ScriptedLLM().start()
    yield llm
    llm.stop()


def _scripted_env(llm: ScriptedLLM) -> dict[str, str]:
    return {
        "VIZORCH_LLM": "openai-compatible:scripted",
        "VIZORCH_LLM_BASE_URL": llm.base_url,
        "VIZORCH_LLM_API_KEY": "scripted-key",
        "VIZORCH_RUN_ORPHAN_TIMEOUT_S": ORPHAN_TIMEOUT_S,
        "VIZORCH_SSE_HEARTBEAT_S": HEARTBEAT_S,
        # An engine nobody serves: its failures are `data_fetch` errors.
        "VIZORCH_REMOTE_DUCKDB": f"quack:127.0.0.1:{free_port()}",
    }


@pytest.fixture(scope="session")
def scripted_server(
    tmp_path_factory: pytest.TempPathFactory, scripted_llm: ScriptedLLM
) -> Iterator[LiveServer]:
    """daphne with the in-memory channel layer (the run worker lives in the web process)."""
    env = {**_scripted_env(scripted_llm), "REDIS_URL": ""}
    server = LiveServer(var_dir=tmp_path_factory.mktemp("chat-memory"), extra_env=env)
    try:
        yield server.start()
    finally:
        server.stop()


def _own_database(url: str) -> str:
    return redis_database(url, REDIS_DB)


@pytest.fixture(scope="session")
def redis_server(
    tmp_path_factory: pytest.TempPathFactory, scripted_llm: ScriptedLLM, redis_url: str
) -> Iterator[LiveServer]:
    """daphne with the Redis channel layer and a separate run worker process."""
    # Its own worker channel: other test sessions may share this Redis at the same time.
    channel = f"vizorch.runs.test{free_port()}"
    env = {
        **_scripted_env(scripted_llm),
        "REDIS_URL": _own_database(redis_url),
        "VIZORCH_RUNS_CHANNEL": channel,
    }
    var_dir = tmp_path_factory.mktemp("chat-redis")
    server = LiveServer(var_dir=var_dir, extra_env=env)
    try:
        server.start()
        log = open(Path(var_dir) / "runworker.log", "wb")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "runworker", channel],
            cwd=BASE_DIR,
            env=server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield server
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            log.close()
    finally:
        server.stop()


@pytest.fixture(params=["memory", "redis"])
def any_layer_server(request: pytest.FixtureRequest) -> LiveServer:
    """The scripted server on each channel layer in turn."""
    name = "scripted_server" if request.param == "memory" else "redis_server"
    server: LiveServer = request.getfixturevalue(name)
    return server


# --- PostgreSQL + Redis with separate run workers ---------------------------------------------

# Short, so that a killed worker's runs are taken over within a test; other workers look for
# them every quarter of it.
WORKER_TIMEOUT_S = "3"
DB_POOL_SIZE = 4


@pytest.fixture(scope="session")
def live_postgres(postgres_url: str) -> Iterator[str]:
    """A database of its own on the real PostgreSQL server for a live server (dropped after)."""
    with fresh_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def services_server(
    tmp_path_factory: pytest.TempPathFactory,
    scripted_llm: ScriptedLLM,
    redis_url: str,
    live_postgres: str,
) -> Iterator[LiveServer]:
    """daphne on PostgreSQL and Redis with small connection pools; its run workers are started
    by each test (`workers`)."""
    env = {
        **_scripted_env(scripted_llm),
        "DATABASE_URL": live_postgres,
        "REDIS_URL": _own_database(redis_url),
        "VIZORCH_RUNS_CHANNEL": f"vizorch.runs.test{free_port()}",
        "VIZORCH_RUN_WORKER_TIMEOUT_S": WORKER_TIMEOUT_S,
        "VIZORCH_DB_POOL_SIZE": str(DB_POOL_SIZE),
        "VIZORCH_DB_THREADS": "2",
    }
    server = LiveServer(var_dir=tmp_path_factory.mktemp("chat-services"), extra_env=env)
    try:
        yield server.start()
    finally:
        server.stop()


class Workers:
    """`manage.py runworker` processes for a live server, stopped at the end of the test."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        index = len(self.processes)
        log = open(self.server.var_dir / f"runworker-{index}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runworker", self.server.env["VIZORCH_RUNS_CHANNEL"]],
            cwd=BASE_DIR,
            env={**self.server.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(services_server: LiveServer) -> Iterator[Workers]:
    started = Workers(services_server)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def queued_embedded_server(
    tmp_path_factory: pytest.TempPathFactory, scripted_llm: ScriptedLLM
) -> Iterator[LiveServer]:
    """The embedded defaults with one run at a time and a pick-up timeout far shorter than a
    run: a queued run outwaits it."""
    env = {
        **_scripted_env(scripted_llm),
        "REDIS_URL": "",
        "VIZORCH_MAX_CONCURRENT_RUNS": "1",
        "VIZORCH_RUN_PICKUP_TIMEOUT_S": "1",
    }
    server = LiveServer(var_dir=tmp_path_factory.mktemp("chat-queued"), extra_env=env)
    try:
        yield server.start()
    finally:
        server.stop()

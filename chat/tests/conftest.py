"""Fixtures for the chat tests: real daphne servers over HTTP. `live_server` (root conftest) runs
the embedded defaults with the offline model; the servers here run the `openai-compatible:` provider
against a scripted model on loopback, once with the in-memory layer (embedded worker) and once with
Redis plus a separate `manage.py runworker vizorch.runs`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from chat.tests.scripted_llm import ScriptedLLM
from vizorch_site.testing import BASE_DIR, LiveServer, free_port

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
    """Our Redis database; and a socket timeout above channels-redis's 5 s blocking pop, which
    redis-py 8's default read timeout (5 s) would otherwise cut off (the worker dies)."""
    parts = urlsplit(url)
    query = (
        parts.query
        if "socket_timeout" in parts.query
        else "&".join(filter(None, [parts.query, "socket_timeout=15"]))
    )
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", query, parts.fragment))


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

"""Real headless Chromium (Debian's, never a downloaded build) driven by Playwright against a live
daphne server on the embedded defaults."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from e2e.helpers import Api
from vizorch_site.testing import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, LiveServer, running_server

# A browser test that outlives its time is stopped by a thread that dumps every thread's stack and
# ends the test run: pytest-timeout's default (a signal) raises inside Playwright's own event loop,
# which swallows it and leaves every later browser call waiting for ever (the run then hangs until
# CI's own limit, with no word of where). Each wait inside a test is bounded far below this.
E2E_TIMEOUT_S = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT_S, method="thread"))


# The live server's access log (daphne writes it to stdout, into a file) must be readable while it
# runs: the isolation tests read it. Set at collection, before any server starts.
os.environ.setdefault("PYTHONUNBUFFERED", "1")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in(
    live_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> Callable[[str], Page]:
    """Open a fresh browser context and sign in through the login form as `username`."""

    def sign_in_as(username: str) -> Page:
        page = new_context().new_page()
        page.goto(f"{live_server.url}/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return sign_in_as


# --- Added by the e2e tests (QA) -----------------------------------------------------------------


@pytest.fixture(scope="session")
def api_tokens(live_server: LiveServer) -> Callable[[str], str]:
    """API tokens of the demo users on the shared live server, made once per user."""
    tokens: dict[str, str] = {}

    def token_of(username: str) -> str:
        if username not in tokens:
            tokens[username] = live_server.api_token(username)
        return tokens[username]

    return token_of


@pytest.fixture
def api_as(
    live_server: LiveServer, api_tokens: Callable[[str], str]
) -> Iterator[Callable[[str], Api]]:
    """The live server's API as a demo user (Bearer token), e.g. to prepare templates."""
    clients: list[Api] = []

    def make(username: str) -> Api:
        client = Api(live_server.url, api_tokens(username))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


class SlowModel(ThreadingHTTPServer):
    """A stand-in for a slow OpenAI-compatible model server (as llama.cpp on a small machine):
    every chat completion streams one line of thought every quarter second for two minutes.
    It is the only way to keep a real run busy long enough to be stopped deterministically."""

    daemon_threads = True
    WORD_INTERVAL_S = 0.25
    WORDS = 480

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SlowModelHandler)
        self.requests = 0
        self.disconnects = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _SlowModelHandler(BaseHTTPRequestHandler):
    server: SlowModel

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        model = str(body.get("model", "slow"))
        try:
            for index in range(SlowModel.WORDS):
                delta: dict[str, str] = {"content": f"Thinking, step {index}.\n"}
                if index == 0:
                    delta["role"] = "assistant"
                chunk = {
                    "id": "chatcmpl-slow",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(SlowModel.WORD_INTERVAL_S)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.server.disconnects += 1


@pytest.fixture(scope="session")
def slow_model() -> Iterator[SlowModel]:
    server = SlowModel()
    thread = threading.Thread(target=server.serve_forever, name="slow-model", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def slow_server(
    tmp_path_factory: pytest.TempPathFactory, slow_model: SlowModel
) -> Iterator[LiveServer]:
    """A second daphne on the embedded defaults whose model is the slow stand-in above."""
    with running_server(
        tmp_path_factory.mktemp("live-slow"),
        REDIS_URL="",
        VIZORCH_LLM="openai-compatible:slow-stand-in",
        VIZORCH_LLM_BASE_URL=slow_model.base_url,
        VIZORCH_LLM_API_KEY="not-needed",
    ) as server:
        yield server

"""Fixtures shared by every app: real services (PostgreSQL, Redis) and a live daphne server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from vizorch_site.testing import LiveServer, running_server

pytest_plugins = ["executors.testing.server_fixtures"]

REQUIRE_SERVICES = os.environ.get("VIZORCH_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: sync Playwright keeps an event loop running in the main thread for
    the whole browser session, and async tests cannot start their own loop beside it."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def _service_url(variable: str) -> str:
    url = os.environ.get(variable, "")
    if not url:
        message = f"{variable} is not set: this test needs the real service"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} (VIZORCH_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis server of this run (REDIS_URL)."""
    return _service_url("REDIS_URL")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The real PostgreSQL server of this run (DATABASE_URL)."""
    url = _service_url("DATABASE_URL")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL is not a PostgreSQL URL")
    return url


@pytest.fixture(autouse=True)
def _live_server_helper() -> None:
    """Replaces pytest-django's helper of the same name: our `live_server` is a real daphne
    process with its own database, not Django's threaded test server, so there is nothing to
    switch on around each test."""


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """daphne serving Vizorch on the embedded defaults (SQLite, in-memory layer, local DuckDB)."""
    with running_server(tmp_path_factory.mktemp("live"), REDIS_URL="") as server:
        yield server

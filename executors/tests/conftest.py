"""Fixtures of the executors tests: a small demo database generated once per session, settings
that point the engines and the result store at temporary places, users in their roles, and the
parametrized `engine` fixture that runs one test case against every engine available."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group

from core.roles import ANALYST, CURATOR, VIEWER
from executors import demo_data, registry
from executors.engines.base import Engine

DEMO_SCALE = float(os.environ.get("VIZORCH_TEST_DEMO_SCALE", "0.02"))

# Engines the contract tests run against. "local" is always there; the remote DuckDB (Quack) and
# Spark Connect engines come from executors/testing/server_fixtures.py, which starts real servers
# and provides the `remote_engine` and `spark_engine` fixtures.
ENGINE_NAMES = ["local", "remote", "spark"]


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo dataset at test scale, generated once for the session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo_data.ensure_demo_database(path, scale=DEMO_SCALE)
    return path


@pytest.fixture
def executor_settings(settings: Any, demo_db_path: Path, tmp_path: Path) -> Any:
    """Engines on the test demo database, results in this test's own directory."""
    settings.VIZORCH_DUCKDB_PATH = demo_db_path
    settings.VIZORCH_RESULTS_DIR = tmp_path / "results"
    settings.VIZORCH_REMOTE_DUCKDB = []
    settings.VIZORCH_SPARK_URL = None
    settings.VIZORCH_DEFAULT_ENGINE = "local"
    return settings


@pytest.fixture
def local_engine(executor_settings: Any) -> Engine:
    return registry.get_engine("local")


@pytest.fixture(params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest, executor_settings: Any) -> Iterator[Engine]:
    """Each engine in turn, registered so `services.execute_query(engine_name=engine.name)`
    reaches it. An engine whose fixture is not defined in this checkout is skipped."""
    name = request.param
    fixture = f"{name}_engine"
    if name != "local" and fixture not in request.fixturenames:
        try:
            request.getfixturevalue(fixture)
        except pytest.FixtureLookupError:
            pytest.skip(f"no `{fixture}` fixture: the {name} engine is not set up here")
    found: Engine = request.getfixturevalue(fixture)
    if name == "local":
        yield found
        return
    registry.register(found)
    try:
        yield found
    finally:
        registry.unregister(found.name)


def _user(django_user_model: Any, username: str, role: str | None) -> Any:
    user = django_user_model.objects.create_user(username=username, password="pw-for-tests-1")
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


@pytest.fixture
def analyst(db: None, django_user_model: Any) -> Any:
    return _user(django_user_model, "ana", ANALYST)


@pytest.fixture
def other_analyst(db: None, django_user_model: Any) -> Any:
    return _user(django_user_model, "otto", ANALYST)


@pytest.fixture
def curator(db: None, django_user_model: Any) -> Any:
    return _user(django_user_model, "cora", CURATOR)


@pytest.fixture
def viewer(db: None, django_user_model: Any) -> Any:
    return _user(django_user_model, "vic", VIEWER)

"""A model may name any engine in a tool call; only engines the run's user may use run anything,
and the prompt lists only those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from chat.agent import tools
from chat.agent.tools import ToolBox
from core.roles import ANALYST
from executors import registry
from executors.engines.duckdb_local import LocalDuckDBEngine

pytest_plugins = ("chat.tests.offline_demo",)
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def closed_engine(settings: Any, demo_path: Path, tmp_path: Path) -> Any:
    settings.VIZORCH_DUCKDB_PATH = demo_path
    settings.VIZORCH_RESULTS_DIR = tmp_path / "results"
    settings.VIZORCH_REMOTE_DUCKDB = []
    settings.VIZORCH_SPARK_URL = None
    settings.VIZORCH_ENGINE_ROLES = {"vault": ["Curator"]}
    registry.register(LocalDuckDBEngine("vault", demo_path))
    yield "vault"
    registry.unregister("vault")


async def test_a_tool_call_on_an_engine_closed_to_the_user_runs_nothing(
    closed_engine: str, django_user_model: Any
) -> None:
    from asgiref.sync import sync_to_async

    def make_analyst() -> Any:
        user = django_user_model.objects.create_user(username="ana", password="pw-for-tests-1")
        user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
        return user

    user = await sync_to_async(make_analyst)()
    emitted: list[Any] = []

    async def emit(event: Any) -> None:
        emitted.append(event)

    box = ToolBox(user=user, run_tag="t-closed", emit=emit)
    answer = await box.run_sql("SELECT 1 AS one", engine=closed_engine)
    assert answer.startswith("ERROR: there is no engine called 'vault'")
    assert box.results == [] and emitted == []

    opened = await box.run_sql("SELECT 1 AS one", engine="local")
    assert not opened.startswith("ERROR"), opened
    assert len(box.results) == 1

    listed = await sync_to_async(tools.engines)(user)
    assert [name for name, _ in listed] == ["local"]
    # The ORM ran in asgiref's sync thread: close its connection before the test database goes.
    await sync_to_async(connections.close_all)()

"""The query service: the sync and async entry points, dialect translation, and the registry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from executors import registry, services
from executors.engines.base import QueryLimits
from executors.errors import QueryCancelled, UnknownEngine

RUNAWAY = (
    "SELECT count(*) FROM order_items a, order_items b, order_items c "
    "WHERE a.sales + b.sales + c.sales < 0"
)


@pytest.mark.django_db(transaction=True)
async def test_async_entry_point_returns_a_stored_result(executor_settings: Any) -> None:
    result = await services.aexecute_query(
        "SELECT category, count(*) AS n FROM products GROUP BY 1 ORDER BY 1",
        limits=QueryLimits(max_rows=3),
    )
    assert result.row_count == 3 and result.truncated
    assert result.preview[0][0] == "Clothing"


@pytest.mark.django_db(transaction=True)
async def test_async_query_leaves_the_event_loop_free_to_cancel_it(executor_settings: Any) -> None:
    # Were the engine running on the loop, the cancel below could only happen after the timeout.
    task = asyncio.create_task(
        services.aexecute_query(RUNAWAY, tag="long-one", limits=QueryLimits(timeout_s=120))
    )
    cancelled = False
    while not cancelled and not task.done():
        await asyncio.sleep(0.05)
        cancelled = services.cancel_query("long-one", engine_name="local")
    with pytest.raises(QueryCancelled):
        await task
    assert cancelled


@pytest.mark.django_db
def test_spark_sql_is_translated_for_duckdb(executor_settings: Any) -> None:
    result = services.execute_query(
        "SELECT `region`, count(*) AS n FROM stores GROUP BY `region` ORDER BY `region`",
        source_dialect="spark",
    )
    assert result.row_count == 5
    assert result.sql.startswith('SELECT "region"')


@pytest.mark.django_db
def test_stored_sql_is_the_checked_statement_without_the_limit(executor_settings: Any) -> None:
    result = services.execute_query("select 1 as one -- hi", limits=QueryLimits(max_rows=5))
    assert result.sql == "SELECT 1 AS one"


def test_registry_always_has_the_local_engine(executor_settings: Any) -> None:
    assert registry.engine_names() == ["local"]
    assert registry.get_engine().name == "local"
    assert registry.default_engine_name() == "local"
    with pytest.raises(UnknownEngine, match="configured: local"):
        registry.get_engine("spark")


def test_registry_rebuilds_when_settings_change(executor_settings: Any, tmp_path: Any) -> None:
    first = registry.get_engine("local")
    executor_settings.VIZORCH_DUCKDB_PATH = tmp_path / "elsewhere.duckdb"
    second = registry.get_engine("local")
    assert second is not first
    assert not second.health().ok  # no file there

"""The engine interface, checked the same way on every engine: run, row limits and truncation,
order, types, errors, catalog, health and cancel of an unknown tag."""

from __future__ import annotations

import datetime as dt

import pytest

from executors import catalog, services
from executors.engines.base import Engine, QueryLimits
from executors.errors import QueryFailed, SqlRefused
from executors.guard import guard


def _run(engine: Engine, sql: str, max_rows: int = 1000):
    statement = guard(sql, dialect="duckdb", target=engine.dialect, max_rows=max_rows)
    return engine.run(
        statement.sql, limits=QueryLimits(max_rows=max_rows, timeout_s=60), tag=f"t-{engine.name}"
    )


def test_engine_answers_a_query_as_arrow(engine: Engine) -> None:
    result = _run(engine, "SELECT region, count(*) AS stores FROM stores GROUP BY 1 ORDER BY 1")
    assert result.table is not None
    assert result.table.column_names == ["region", "stores"]
    assert result.table.column("region").to_pylist() == [
        "Asia Pacific",
        "Europe",
        "Latin America",
        "Middle East & Africa",
        "North America",
    ]
    assert result.row_count == 5 and not result.truncated


def test_engine_reports_truncation_beyond_the_row_limit(engine: Engine) -> None:
    result = _run(engine, "SELECT store_id FROM stores ORDER BY store_id DESC", max_rows=7)
    assert result.table is not None
    assert result.truncated
    assert result.row_count == 7
    assert result.table.column("store_id").to_pylist() == [50, 49, 48, 47, 46, 45, 44]


def test_engine_result_exactly_at_the_limit_is_not_truncated(engine: Engine) -> None:
    result = _run(engine, "SELECT store_id FROM stores WHERE store_id <= 7", max_rows=7)
    assert result.row_count == 7 and not result.truncated


def test_engine_keeps_dates_and_decimals_typed(engine: Engine) -> None:
    result = _run(
        engine,
        "SELECT min(order_date) AS first_day, max(list_price) AS top_price FROM orders, products",
    )
    assert result.table is not None
    row = result.table.to_pylist()[0]
    assert row["first_day"] == dt.date(2021, 1, 1)
    assert float(row["top_price"]) > 100


def test_engine_error_is_a_typed_query_failure(engine: Engine) -> None:
    with pytest.raises(QueryFailed) as failed:
        _run(engine, "SELECT no_such_column FROM stores")
    assert "no_such_column" in failed.value.message
    assert failed.value.code == "query_failed"


def test_engine_catalog_lists_the_demo_tables(engine: Engine) -> None:
    tables = {table.name: table for table in engine.catalog()}
    assert {"stores", "customers", "products", "orders", "order_items"} <= set(tables)
    columns = [column.name for column in tables["orders"].columns]
    assert columns == ["order_id", "order_date", "customer_id", "store_id", "channel", "status"]
    assert tables["stores"].row_count == 50


def test_engine_is_healthy(engine: Engine) -> None:
    assert engine.health().ok


def test_cancel_of_an_unknown_tag_interrupts_nothing(engine: Engine) -> None:
    assert engine.cancel("no-such-tag") is False


@pytest.mark.django_db
def test_execute_query_stores_the_result_of_the_engine(engine: Engine) -> None:
    stored = services.execute_query(
        "SELECT channel, count(*) AS orders FROM orders GROUP BY 1 ORDER BY 1",
        engine_name=engine.name,
    )
    assert stored.engine == engine.name
    assert stored.row_count == 3
    assert [c["name"] for c in stored.columns] == ["channel", "orders"]
    assert [row[0] for row in stored.preview] == ["In-store", "Online", "Phone"]
    assert stored.record is not None and stored.record.path.exists()


@pytest.mark.django_db
def test_execute_query_refuses_before_the_engine_runs(engine: Engine) -> None:
    with pytest.raises(SqlRefused):
        services.execute_query("DROP TABLE stores", engine_name=engine.name)
    assert _run(engine, "SELECT count(*) AS n FROM stores").table.to_pylist() == [{"n": 50}]


def test_annotated_catalog_has_keys_and_descriptions_on_every_engine(engine: Engine) -> None:
    entry = catalog.engine_catalog(engine.name, refresh=True)
    assert entry.error is None and entry.dialect == engine.dialect
    tables = {table.name: table for table in entry.tables}
    items = tables["order_items"]
    keys = {(fk.column, fk.ref_table, fk.ref_column) for fk in items.foreign_keys}
    assert {("order_id", "orders", "order_id"), ("product_id", "products", "product_id")} <= keys
    assert items.primary_key == ["order_item_id"]
    assert "revenue" in next(c for c in items.columns if c.name == "sales").synonyms

"""Profiling builds the semantic catalog from the data on every engine (local DuckDB, a real
Quack server, a real Spark Connect server): row counts, statistics, values of low-cardinality
columns, roles and aggregations, readable labels, and the join paths."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from executors.catalog.model import SemanticCatalog
from executors.catalog.profile import ProfileOptions, profile_engine
from executors.engines.base import Engine
from executors.engines.duckdb_local import LocalDuckDBEngine


def _columns(catalog: SemanticCatalog, table: str) -> dict[str, object]:
    found = catalog.table(table)
    assert found is not None, f"no table {table}"
    return {c.name: c for c in found.columns}


def test_profile_describes_the_demo_on_every_engine(engine: Engine) -> None:
    catalog = profile_engine(engine)
    assert catalog.engine == engine.name and catalog.dialect == engine.dialect
    assert {t.name for t in catalog.tables} >= {
        "stores", "customers", "products", "orders", "order_items",
    }  # fmt: skip
    stores = catalog.table("stores")
    assert stores is not None and stores.row_count == 50 and stores.sampled_rows is None

    orders = _columns(catalog, "orders")
    channel = orders["channel"]
    assert channel.role == "dimension"  # type: ignore[attr-defined]
    assert set(channel.sample_values) == {"Online", "In-store", "Phone"}  # type: ignore[attr-defined]
    assert channel.distinct_count == 3  # type: ignore[attr-defined]
    order_date = orders["order_date"]
    assert order_date.role == "time" and order_date.format == "date"  # type: ignore[attr-defined]
    assert str(order_date.min).startswith("2021-01")  # type: ignore[attr-defined]

    items = _columns(catalog, "order_items")
    sales = items["sales"]
    assert sales.role == "measure" and sales.default_aggregation == "sum"  # type: ignore[attr-defined]
    assert sales.null_rate == 0.0  # type: ignore[attr-defined]
    assert items["order_item_id"].role == "identifier"  # type: ignore[attr-defined]
    assert items["order_item_id"].unique  # type: ignore[attr-defined]
    assert items["discount"].format == "percent"  # type: ignore[attr-defined]
    assert items["discount"].default_aggregation == "avg"  # type: ignore[attr-defined]
    region = _columns(catalog, "stores")["region"]
    assert region.role == "geography"  # type: ignore[attr-defined]

    joins = {r.join_condition for r in catalog.relationships}
    assert {
        "order_items.order_id = orders.order_id",
        "order_items.product_id = products.product_id",
        "orders.customer_id = customers.customer_id",
        "orders.store_id = stores.store_id",
    } <= joins
    # Spark has no declared keys: the same joins come from the column names.
    origins = {r.origin for r in catalog.relationships}
    assert origins == ({"declared"} if engine.dialect == "duckdb" else {"inferred_name"})
    assert catalog.schema_fingerprint and catalog.profiled_at


def test_large_tables_are_profiled_from_a_sample_and_say_so(engine: Engine) -> None:
    catalog = profile_engine(engine, options=ProfileOptions(sample_rows=2_000))
    items = catalog.table("order_items")
    assert items is not None and items.row_count is not None and items.row_count > 2_000
    # Each row is taken or not on its own: about the number asked for.
    assert items.sampled_rows is not None and 1_000 < items.sampled_rows < 3_000
    # The sample still shows the key as unique and every value of a low-cardinality column.
    columns = {c.name: c for c in items.columns}
    assert items.primary_key == ["order_item_id"] and columns["order_item_id"].unique
    full = profile_engine(engine)
    quantity = {c.name: c for c in full.table("order_items").columns}["quantity"]  # type: ignore[union-attr]
    assert set(columns["quantity"].sample_values) == set(quantity.sample_values)
    assert any("order_items" in note and "sample" in note for note in catalog.notes)
    stores = catalog.table("stores")
    assert stores is not None and stores.sampled_rows is None


def test_profile_stops_at_its_time_budget_and_says_so(local_engine: Engine) -> None:
    catalog = profile_engine(local_engine, options=ProfileOptions(budget_s=0.0))
    assert len(catalog.tables) == 5  # the schema is there, the statistics are not
    assert any("budget" in note for note in catalog.notes)
    assert all(c.distinct_count is None for t in catalog.tables for c in t.columns)


@pytest.fixture
def shipping_db(tmp_path: Path) -> Path:
    """No declared keys: `shipments.ship_to` holds warehouse codes, `warehouse_id` names its
    table, and `rating` (1-5) sits inside `ports.id` (1-100) by chance only."""
    path = tmp_path / "shipping.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE warehouses AS SELECT 'WH' || lpad(i::VARCHAR, 2, '0') AS code,
                'Warehouse ' || i AS name FROM range(1, 9) t(i);
            CREATE TABLE ports AS SELECT i AS id, 'Port ' || i AS port_name FROM range(1, 101) t(i);
            CREATE TABLE depots AS SELECT i AS id, 'Depot ' || i AS label FROM range(1, 6) t(i);
            CREATE TABLE shipments AS SELECT i AS shipment_id,
                'WH' || lpad((1 + i % 8)::VARCHAR, 2, '0') AS ship_to,
                1 + i % 5 AS rating, 1 + i % 5 AS depot_id,
                (i % 7) * 10.5 AS weight FROM range(1, 2001) t(i);
        """)
    return path


def test_relationships_are_inferred_from_contained_values(shipping_db: Path) -> None:
    engine = LocalDuckDBEngine("shipping", shipping_db)
    try:
        catalog = profile_engine(engine)
    finally:
        engine.close()
    joins = {(r.join_condition, r.origin) for r in catalog.relationships}
    assert ("shipments.ship_to = warehouses.code", "inferred_values") in joins
    assert ("shipments.depot_id = depots.id", "inferred_name") in joins
    assert not any("rating" in join for join, _ in joins)
    shipments = _columns(catalog, "shipments")
    assert shipments["ship_to"].role == "identifier"  # type: ignore[attr-defined]
    assert shipments["weight"].role == "measure"  # type: ignore[attr-defined]


def test_date_parts_and_timestamps_are_time_columns(tmp_path: Path) -> None:
    path = tmp_path / "weather.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE readings AS SELECT 2019 + i % 5 AS year, 1 + i % 12 AS month,
                1 + i % 28 AS day, TIMESTAMP '2024-01-01 00:00' + INTERVAL (i) HOUR AS taken_at,
                (i % 40) - 5.5 AS temp_max, i % 3 AS station_no FROM range(0, 500) t(i)
        """)
    engine = LocalDuckDBEngine("weather", path)
    try:
        readings = _columns(profile_engine(engine), "readings")
    finally:
        engine.close()
    assert (readings["year"].role, readings["year"].time_part) == ("time", "year")  # type: ignore[attr-defined]
    assert (readings["month"].role, readings["month"].time_part) == ("time", "month")  # type: ignore[attr-defined]
    assert (readings["day"].role, readings["day"].time_part) == ("time", "day")  # type: ignore[attr-defined]
    assert readings["taken_at"].role == "time"  # type: ignore[attr-defined]
    assert readings["taken_at"].format == "datetime"  # type: ignore[attr-defined]
    assert readings["temp_max"].label == "temperature maximum"  # type: ignore[attr-defined]
    assert readings["temp_max"].role == "measure"  # type: ignore[attr-defined]
    assert readings["station_no"].label == "station number"  # type: ignore[attr-defined]


def test_tpch_prefixed_names_become_labels_and_keys_become_joins(tpch_db: Path) -> None:
    engine = LocalDuckDBEngine("tpch", tpch_db)
    try:
        catalog = profile_engine(engine)
    finally:
        engine.close()
    lineitem = _columns(catalog, "lineitem")
    assert lineitem["l_extendedprice"].label == "extended price"  # type: ignore[attr-defined]
    assert lineitem["l_shipdate"].label == "ship date"  # type: ignore[attr-defined]
    assert lineitem["l_suppkey"].label == "supplier key"  # type: ignore[attr-defined]
    assert lineitem["l_quantity"].role == "measure"  # type: ignore[attr-defined]
    assert lineitem["l_comment"].role == "text"  # type: ignore[attr-defined]
    customer = _columns(catalog, "customer")
    assert customer["c_acctbal"].label == "account balance"  # type: ignore[attr-defined]
    assert customer["c_mktsegment"].label == "market segment"  # type: ignore[attr-defined]
    assert _columns(catalog, "nation")["n_name"].role == "geography"  # type: ignore[attr-defined]
    orders = catalog.table("orders")
    assert orders is not None and orders.primary_key == ["o_orderkey"]
    joins = {r.join_condition for r in catalog.relationships}
    assert {
        "orders.o_custkey = customer.c_custkey",
        "lineitem.l_orderkey = orders.o_orderkey",
        "lineitem.l_partkey = part.p_partkey",
        "customer.c_nationkey = nation.n_nationkey",
        "nation.n_regionkey = region.r_regionkey",
        "partsupp.ps_suppkey = supplier.s_suppkey",
    } <= joins
    assert all(r.origin == "inferred_name" for r in catalog.relationships)

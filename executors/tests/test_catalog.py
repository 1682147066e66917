"""`GET /api/catalog`: tables, columns, types, descriptions, synonyms, row counts, sample values and
foreign keys of each engine; cached until `?refresh=1`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.test import Client

from executors import registry
from executors.catalog import infer_foreign_keys
from executors.engines.base import ColumnInfo, TableInfo
from executors.engines.duckdb_local import LocalDuckDBEngine


@pytest.fixture
def client(executor_settings: Any, analyst: Any) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


def _local(body: dict[str, Any]) -> dict[str, Any]:
    return next(engine for engine in body["engines"] if engine["name"] == "local")


def test_catalog_describes_the_demo_tables(client: Client) -> None:
    response = client.get("/api/catalog")
    assert response.status_code == 200
    body = response.json()
    assert body["default_engine"] == "local"
    local = _local(body)
    assert local["dialect"] == "duckdb" and local["default"] is True and local["error"] is None
    tables = {table["name"]: table for table in local["tables"]}
    assert set(tables) == {"stores", "customers", "products", "orders", "order_items"}

    stores = tables["stores"]
    assert stores["row_count"] == 50
    assert stores["description"].startswith("Physical and online stores")
    assert "shops" in stores["synonyms"]
    region = next(c for c in stores["columns"] if c["name"] == "region")
    assert region["type"] == "VARCHAR"
    assert set(region["sample_values"]) == {
        "North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa",
    }  # fmt: skip
    store_name = next(c for c in stores["columns"] if c["name"] == "store_name")
    assert store_name["sample_values"] == []  # 50 distinct names: not low-cardinality

    items = tables["order_items"]
    sales = next(c for c in items["columns"] if c["name"] == "sales")
    assert sales["type"] == "DOUBLE"
    assert "quantity * unit_price" in sales["description"]
    assert "revenue" in sales["synonyms"]
    assert items["primary_key"] == ["order_item_id"]
    keys = {(fk["column"], fk["ref_table"], fk["ref_column"]) for fk in items["foreign_keys"]}
    assert keys == {("order_id", "orders", "order_id"), ("product_id", "products", "product_id")}
    assert any(entry["meaning"] == "SUM(order_items.sales)" for entry in body["glossary"])


def test_foreign_keys_are_inferred_from_id_names() -> None:
    def table(name: str, *columns: str) -> TableInfo:
        return TableInfo(name=name, columns=[ColumnInfo(c, "INTEGER") for c in columns])

    keys = infer_foreign_keys(
        [
            table("customers", "customer_id", "name"),
            table("orders", "order_id", "customer_id", "store_id"),
            table("lines", "line_id", "order_id"),
        ]
    )
    assert [(fk.column, fk.ref_table, fk.declared) for fk in keys["orders"]] == [
        ("customer_id", "customers", False)
    ]  # store_id has no table whose key it is
    assert [(fk.column, fk.ref_table) for fk in keys["lines"]] == [("order_id", "orders")]
    assert keys["customers"] == []


def test_catalog_is_cached_until_refresh(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "side.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE first_table AS SELECT 1 AS a")
    registry.register(LocalDuckDBEngine("side", path))
    try:
        names = [t["name"] for t in _engine(client.get("/api/catalog?engine=side"))["tables"]]
        assert names == ["first_table"]
        registry.get_engine("side").close()  # let the test write to the file
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE second_table AS SELECT 2 AS b")
        cached = _engine(client.get("/api/catalog?engine=side"))
        assert [t["name"] for t in cached["tables"]] == ["first_table"]
        fresh = _engine(client.get("/api/catalog?engine=side&refresh=1"))
        assert [t["name"] for t in fresh["tables"]] == ["first_table", "second_table"]
    finally:
        registry.get_engine("side").close()
        registry.unregister("side")


def _engine(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    engines = response.json()["engines"]
    assert len(engines) == 1
    return dict(engines[0])


def test_unknown_engine_catalog_is_404(client: Client) -> None:
    response = client.get("/api/catalog?engine=nope")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_engine"

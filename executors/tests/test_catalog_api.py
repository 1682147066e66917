"""`GET /api/catalog`: each engine's semantic catalog — tables with row counts, columns with
labels, roles, statistics and sample values, relationships with join conditions, metrics."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from executors.catalog import services
from executors.catalog.document import parse


@pytest.fixture
def client(executor_settings: Any, analyst: Any) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


def _local(body: dict[str, Any]) -> dict[str, Any]:
    return next(engine for engine in body["engines"] if engine["name"] == "local")


def test_catalog_serves_the_profiled_demo_tables(client: Client) -> None:
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
    columns = {c["name"]: c for c in stores["columns"]}
    assert columns["region"]["role"] == "geography"
    assert set(columns["region"]["sample_values"]) == {
        "North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa",
    }  # fmt: skip
    assert columns["store_id"]["role"] == "identifier" and columns["store_id"]["unique"]
    assert columns["store_name"]["label"] == "store name"

    items = {c["name"]: c for c in tables["order_items"]["columns"]}
    assert items["sales"]["role"] == "measure"
    assert items["sales"]["default_aggregation"] == "sum"
    assert items["discount"]["format"] == "percent"
    assert "quantity * unit_price" in items["sales"]["description"]
    joins = {r["join_condition"] for r in local["relationships"]}
    assert "order_items.order_id = orders.order_id" in joins
    assert "orders.customer_id = customers.customer_id" in joins


def test_catalog_carries_the_curated_metrics_and_synonyms(client: Client) -> None:
    client.get("/api/catalog")  # profiled on first use
    document = parse(
        """
        tables:
          order_items:
            columns:
              sales: {synonyms: [revenue, turnover], description: Net revenue of the line.}
        metrics:
          - {name: margin, expression: SUM(profit) / SUM(sales), table: order_items,
             format: percent, synonyms: [profit margin]}
        """
    )
    services.import_document("local", document)
    local = _local(client.get("/api/catalog").json())
    items = next(t for t in local["tables"] if t["name"] == "order_items")
    sales = next(c for c in items["columns"] if c["name"] == "sales")
    assert sales["synonyms"] == ["revenue", "turnover"]
    assert sales["description"] == "Net revenue of the line."
    assert [m["name"] for m in local["metrics"]] == ["margin"]
    assert local["metrics"][0]["format"] == "percent"


def test_unknown_engine_catalog_is_404(client: Client) -> None:
    response = client.get("/api/catalog?engine=nope")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_engine"


@pytest.mark.django_db
def test_a_viewer_cannot_make_the_catalog_profile_again(
    executor_settings: Any, viewer: Any
) -> None:
    client = Client()
    client.force_login(viewer)
    assert client.get("/api/catalog").status_code == 200
    response = client.get("/api/catalog?refresh=1")
    assert response.status_code == 403

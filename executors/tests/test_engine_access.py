"""Who may use which engine: `GET /api/engines` lists the engines a user may use, with their
default; `GET /api/catalog` serves only those, hidden columns left out; an engine a user may not
use answers like one that does not exist (a typed 404), and so do queries on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from executors import registry
from executors.catalog import services
from executors.catalog.document import parse
from executors.engines.duckdb_local import LocalDuckDBEngine

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(executor_settings: Any, tpch_db: Path) -> Iterator[str]:
    """A second engine, on TPC-H, that only analysts may use."""
    executor_settings.VIZORCH_ENGINE_ROLES = {"warehouse": ["Analyst"]}
    registry.register(LocalDuckDBEngine("warehouse", tpch_db))
    try:
        yield "warehouse"
    finally:
        registry.unregister("warehouse")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_analyst_gets_every_engine_open_to_analysts(warehouse: str, analyst: Any) -> None:
    client = _client(analyst)
    engines = client.get("/api/engines").json()
    assert engines["default"] == "local"
    assert [(e["name"], e["default"]) for e in engines["engines"]] == [
        ("local", True),
        ("warehouse", False),
    ]
    assert engines["engines"][0]["label"] == "Local DuckDB"

    catalog = client.get("/api/catalog?engine=warehouse").json()
    [entry] = catalog["engines"]
    assert {t["name"] for t in entry["tables"]} >= {"lineitem", "orders", "customer"}


def test_a_viewer_sees_only_the_engines_open_to_them(warehouse: str, viewer: Any) -> None:
    client = _client(viewer)
    engines = client.get("/api/engines").json()
    assert [e["name"] for e in engines["engines"]] == ["local"]
    catalog = client.get("/api/catalog").json()
    assert [e["name"] for e in catalog["engines"]] == ["local"]

    response = client.get("/api/catalog?engine=warehouse")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_engine"
    assert "warehouse" in body["message"] and "yours: local" in body["message"]


def test_a_user_whose_default_engine_is_closed_to_them_gets_another(
    warehouse: str, executor_settings: Any, analyst: Any, viewer: Any
) -> None:
    executor_settings.VIZORCH_ENGINE_ROLES = {"local": ["Curator"], "warehouse": ["Analyst"]}
    engines = _client(analyst).get("/api/engines").json()
    assert engines == {
        "default": "warehouse",
        "engines": [
            {
                "name": "warehouse",
                "kind": "duckdb_local",
                "dialect": "duckdb",
                "label": "warehouse (Local DuckDB)",
                "default": True,
            }
        ],
    }
    assert _client(viewer).get("/api/engines").json() == {"default": None, "engines": []}


def test_a_query_on_an_engine_closed_to_the_user_is_a_typed_404(
    warehouse: str, executor_settings: Any, analyst: Any
) -> None:
    executor_settings.VIZORCH_ENGINE_ROLES = {"warehouse": ["Curator"]}
    client = _client(analyst)
    response = client.post(
        "/api/query",
        {"sql": "SELECT COUNT(*) FROM region", "engine": "warehouse"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_engine"
    assert client.get("/api/catalog?engine=warehouse").status_code == 404


def test_an_unknown_engine_is_a_typed_404(executor_settings: Any, analyst: Any) -> None:
    response = _client(analyst).get("/api/catalog?engine=nope")
    assert response.status_code == 404
    assert response.json() == {
        "code": "unknown_engine",
        "message": "There is no engine called 'nope'; yours: local.",
    }


def test_hidden_columns_never_reach_the_portal(executor_settings: Any, analyst: Any) -> None:
    client = _client(analyst)
    client.get("/api/catalog")  # profiled on first use
    services.import_document(
        "local",
        parse("tables: {customers: {columns: {signup_date: {hidden: true}}}}"),
    )
    body = client.get("/api/catalog").json()
    customers = next(t for t in body["engines"][0]["tables"] if t["name"] == "customers")
    names = {c["name"] for c in customers["columns"]}
    assert "signup_date" not in names and "customer_name" in names
    assert "signup_date" not in response_text(client)


def response_text(client: Client) -> str:
    return client.get("/api/catalog").content.decode()

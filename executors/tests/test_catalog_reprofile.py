"""Profiling again after the data's schema changed keeps the curators' notes, flags the ones
whose columns changed or vanished as stale, and a read notices the changed schema by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from executors import registry
from executors.catalog import document, selectors, services
from executors.engines.duckdb_local import LocalDuckDBEngine
from executors.models import Catalog, CatalogColumn, CatalogMetric, CatalogRelationship

NOTES = """
tables:
  shops:
    description: Our shops.
    synonyms: [stores]
    columns:
      city: {synonyms: [town], description: Where the shop is.}
      area_code: {description: Dialling code., hidden: true}
      size: {aggregation: avg}
  sales:
    columns:
      amount: {synonyms: [revenue], format: currency}
relationships:
  - {from: sales.shop, to: shops.shop_id}
metrics:
  - {name: revenue per shop, expression: SUM(sales.amount) / COUNT(DISTINCT sales.shop),
     table: sales, format: currency}
  - {name: big sales, expression: COUNT(*) FILTER (WHERE amount > 100), table: sales}
"""


def _create(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE shops AS SELECT i AS shop_id, 'City ' || (i % 4) AS city,
                i % 3 AS area_code, i * 10 AS size FROM range(1, 21) t(i);
            CREATE TABLE sales AS SELECT i AS sale_id, 1 + i % 20 AS shop,
                (i % 50) * 3.5 AS amount FROM range(1, 501) t(i);
        """)


@pytest.fixture
def side(db: None, executor_settings: Any, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "side.duckdb"
    _create(path)
    registry.register(LocalDuckDBEngine("side", path))
    yield path
    registry.get_engine("side").close()
    registry.unregister("side")


def _change_schema(path: Path, *statements: str) -> None:
    """Alter the file the way its owner would: with the engine's read-only handle let go."""
    registry.get_engine("side").close()
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    registry.register(LocalDuckDBEngine("side", path))


def test_reprofile_keeps_notes_and_flags_changed_or_vanished_columns(side: Path) -> None:
    services.refresh_catalog("side")
    services.import_document("side", document.parse(NOTES))
    _change_schema(
        side,
        "ALTER TABLE shops DROP COLUMN city",
        "ALTER TABLE sales ALTER amount TYPE VARCHAR",
        "ALTER TABLE shops ADD COLUMN opened DATE",
    )
    services.refresh_catalog("side")

    catalog = selectors.semantic_catalog("side", include_hidden=True)
    shops = catalog.table("shops")
    assert shops is not None
    assert shops.description == "Our shops." and shops.synonyms == ["stores"]
    columns = {c.name: c for c in shops.columns}
    assert "city" not in columns  # vanished: not offered to anyone
    assert "opened" in columns and columns["opened"].role == "time"
    assert columns["size"].default_aggregation == "avg" and not columns["size"].stale
    assert columns["area_code"].hidden
    city = CatalogColumn.objects.get(table__name="shops", name="city")
    assert city.missing and city.stale and city.synonyms == ["town"]

    sales = catalog.table("sales")
    assert sales is not None
    amount = next(c for c in sales.columns if c.name == "amount")
    assert amount.stale and amount.type == "VARCHAR" and amount.synonyms == ["revenue"]

    assert any(r.join_condition == "sales.shop = shops.shop_id" for r in catalog.relationships)
    assert not CatalogMetric.objects.get(name="revenue per shop").stale
    # The exported layer still holds every note, the vanished column's too.
    exported = services.curated_document(Catalog.objects.get(engine="side"))
    assert exported.tables["shops"].columns["city"].synonyms == ["town"]


def test_metrics_and_relationships_on_a_vanished_column_are_stale_and_hidden_from_models(
    side: Path,
) -> None:
    services.refresh_catalog("side")
    services.import_document("side", document.parse(NOTES))
    _change_schema(side, "ALTER TABLE sales DROP COLUMN shop")
    services.refresh_catalog("side")
    assert CatalogMetric.objects.get(name="revenue per shop").stale
    assert not CatalogMetric.objects.get(name="big sales").stale
    assert CatalogRelationship.objects.get(from_column="shop").stale
    visible = selectors.semantic_catalog("side")
    assert [m.name for m in visible.metrics] == ["big sales"]
    assert not any(r.from_column == "shop" for r in visible.relationships)
    # Hidden columns never reach what models see.
    shops = visible.table("shops")
    assert shops is not None and "area_code" not in {c.name for c in shops.columns}


def test_a_read_profiles_again_when_the_schema_changed(side: Path, settings: Any) -> None:
    settings.VIZORCH_CATALOG_SCHEMA_CHECK_S = 0
    first = selectors.semantic_catalog("side")
    assert {t.name for t in first.tables} == {"shops", "sales"}
    _change_schema(side, "CREATE TABLE regions AS SELECT 1 AS region_id, 'North' AS name")
    again = selectors.semantic_catalog("side")
    assert {t.name for t in again.tables} == {"shops", "sales", "regions"}
    assert again.schema_fingerprint != first.schema_fingerprint
    assert again.revision > first.revision


def test_an_unchanged_schema_is_not_profiled_again(side: Path, settings: Any) -> None:
    settings.VIZORCH_CATALOG_SCHEMA_CHECK_S = 0
    first = selectors.semantic_catalog("side")
    assert selectors.semantic_catalog("side").revision == first.revision


def test_a_curated_removal_keeps_an_inferred_join_away_after_profiling_again(side: Path) -> None:
    services.refresh_catalog("side")
    (inferred,) = [
        r for r in selectors.semantic_catalog("side").relationships if r.from_column == "shop"
    ]
    assert (inferred.join_condition, inferred.origin) == (
        "sales.shop = shops.shop_id",
        "inferred_name",
    )
    services.import_document(
        "side", document.parse("relationships: [{from: sales.shop, removed: true}]")
    )
    services.refresh_catalog("side")
    assert not any(
        r.from_column == "shop" for r in selectors.semantic_catalog("side").relationships
    )

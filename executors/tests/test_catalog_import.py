"""The curated layer as one file: `export_catalog` and `import_catalog` round-trip it, an import
replaces the layer as a whole and keeps a version, a dry run only shows the differences, and an
invalid file is refused with a clear message and changes nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from executors import demo_data
from executors.catalog import document, selectors, services
from executors.models import Catalog, CatalogVersion


@pytest.fixture
def profiled(db: None, executor_settings: Any) -> Catalog:
    return services.refresh_catalog("local")


def _import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_catalog", str(path), "--engine", "local", *args, stdout=out)
    return out.getvalue()


def _export(path: Path) -> str:
    call_command("export_catalog", "--engine", "local", "--output", str(path), stdout=StringIO())
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_export_then_import_round_trips_the_curated_layer(
    profiled: Catalog, tmp_path: Path, suffix: str
) -> None:
    _import(demo_data.CATALOG_PATH)
    before = services.curated_document(profiled)
    effective = selectors.semantic_catalog("local")
    exported = tmp_path / f"catalog{suffix}"
    _export(exported)

    (tmp_path / "empty.yaml").write_text("format: vizorch-catalog/1\n")
    _import(tmp_path / "empty.yaml")
    assert selectors.semantic_catalog("local").metrics == []

    _import(exported)
    assert services.curated_document(profiled) == before
    again = selectors.semantic_catalog("local")
    assert again.tables == effective.tables and again.metrics == effective.metrics
    margin = next(m for m in again.metrics if m.name == "margin")
    assert margin.expression == "SUM(order_items.profit) / SUM(order_items.sales)"
    assert margin.format == "percent"


def test_import_replaces_the_layer_as_a_whole_and_keeps_a_version(
    profiled: Catalog, tmp_path: Path
) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(
        "tables: {stores: {synonyms: [shops]}}\n"
        "metrics: [{name: stores, expression: COUNT(*), table: stores}]\n"
    )
    second = tmp_path / "second.yaml"
    second.write_text("tables: {orders: {description: Every order.}}\n")
    _import(first)
    output = _import(second)
    assert "Imported second.yaml" in output
    catalog = selectors.semantic_catalog("local")
    stores, orders = catalog.table("stores"), catalog.table("orders")
    assert stores is not None and stores.synonyms == []
    assert orders is not None and orders.description == "Every order."
    assert catalog.metrics == []
    versions = list(CatalogVersion.objects.filter(catalog=profiled).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].document["metrics"][0]["name"] == "stores"

    services.restore_version(versions[0], author=None)
    restored = selectors.semantic_catalog("local")
    assert [m.name for m in restored.metrics] == ["stores"]
    assert CatalogVersion.objects.filter(catalog=profiled).count() == 3


def test_dry_run_shows_the_differences_and_changes_nothing(
    profiled: Catalog, tmp_path: Path
) -> None:
    output = _import(demo_data.CATALOG_PATH, "--dry-run")
    assert "+ metrics.margin.expression: SUM(order_items.profit) / SUM(order_items.sales)" in output
    assert "+ tables.order_items.columns.sales.synonyms" in output
    assert "nothing imported" in output
    profiled.refresh_from_db()
    assert profiled.version == 0 and not CatalogVersion.objects.exists()
    assert selectors.semantic_catalog("local").metrics == []

    _import(demo_data.CATALOG_PATH)
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        demo_data.CATALOG_PATH.read_text().replace("[profit margin, gross margin]", "[markup]")
    )
    output = _import(changed, "--dry-run")
    assert '~ metrics.margin.synonyms: ["profit margin", "gross margin"] -> ["markup"]' in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("tables: {stores: {colour: red}}", "tables.stores.colour: Extra inputs are not permitted"),
        (
            "tables: {stores: {columns: {region: {role: place}}}}",
            "tables.stores.columns.region.role",
        ),
        ("metrics: [{name: m, expression: 'SUM(', table: stores}]", "metrics.m.expression"),
        ("relationships: [{from: orders}]", "not table.column"),
        (
            "metrics: [{name: a, expression: COUNT(*), table: t}, "
            "{name: A, expression: COUNT(*), table: t}]",
            "metric names must be unique",
        ),
        ("- just\n- a list", "one mapping"),
        ("tables: {stores: [unclosed", "not valid YAML"),
    ],
)
def test_an_invalid_file_is_refused_clearly_and_changes_nothing(
    profiled: Catalog, tmp_path: Path, content: str, message: str
) -> None:
    _import(demo_data.CATALOG_PATH)
    before = services.curated_document(profiled)
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    with pytest.raises(CommandError) as refused:
        _import(bad)
    assert message in str(refused.value)
    assert services.curated_document(profiled) == before
    assert CatalogVersion.objects.count() == 1


def test_notes_on_unknown_tables_are_kept_with_a_warning(profiled: Catalog) -> None:
    report = services.import_document(
        "local", document.parse("tables: {invoices: {description: Not here yet.}}")
    )
    assert report.applied
    assert report.warnings == [
        "tables.invoices: no such table in the profiled catalog (kept, stale)."
    ]
    assert selectors.semantic_catalog("local").table("invoices") is None
    assert "invoices" in services.curated_document(profiled).tables

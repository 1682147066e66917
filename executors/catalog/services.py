"""Writes to the semantic catalog: store a profile (keeping the curated layer and flagging what
the schema change made stale), import a curated layer as a whole, and record every curated change
as a CatalogVersion. Each write bumps the catalog's revision and stamp, which is how every other
process learns that its cached copy is old."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from executors import registry
from executors.catalog import references
from executors.catalog.document import CatalogDocument, differences, validate
from executors.catalog.model import SemanticCatalog
from executors.catalog.profile import ProfileOptions, profile_engine
from executors.engines.base import Engine, Progress, TableInfo
from executors.models import (
    Catalog,
    CatalogColumn,
    CatalogMetric,
    CatalogRelationship,
    CatalogTable,
    CatalogVersion,
)

CURATED_COLUMN_FIELDS: tuple[str, ...] = ("label", "description", "synonyms", "hidden", "role")
CURATED_COLUMN_FIELDS += ("default_aggregation", "format")
CURATED_TABLE_FIELDS = ("label", "description", "synonyms", "hidden")


def profile_options() -> ProfileOptions:
    from executors.services import default_limits

    return ProfileOptions(
        sample_rows=int(getattr(settings, "VIZORCH_CATALOG_SAMPLE_ROWS", 1_000_000)),
        budget_s=float(getattr(settings, "VIZORCH_CATALOG_PROFILE_BUDGET_S", 120.0)),
        limits=default_limits(),
    )


def refresh_catalog(
    engine_name: str | None = None,
    *,
    engine: Engine | None = None,
    tables: Sequence[TableInfo] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Catalog:
    """Profile an engine and store the result (curated notes kept)."""
    engine = engine or registry.get_engine(engine_name)
    profiled = profile_engine(
        engine, options=profile_options(), on_progress=on_progress, tables=tables
    )
    return store_profile(profiled)


# --- the profiled layer -------------------------------------------------------------------------


def _has_notes(row: CatalogTable | CatalogColumn) -> bool:
    names = CURATED_COLUMN_FIELDS if isinstance(row, CatalogColumn) else CURATED_TABLE_FIELDS
    return any(getattr(row, name) for name in names)


@transaction.atomic
def store_profile(profiled: SemanticCatalog) -> Catalog:
    """Replace the profiled layer of `profiled.engine`'s catalog. Curated notes stay; a curated
    column whose type changed is flagged stale, a curated table or column that vanished is kept
    as missing and stale, an uncurated one is deleted. Inferred relationships are replaced."""
    Catalog.objects.get_or_create(engine=profiled.engine, defaults={"dialect": profiled.dialect})
    catalog = Catalog.objects.select_for_update().get(engine=profiled.engine)
    existing = {t.name: t for t in catalog.tables.prefetch_related("columns")}
    for position, table in enumerate(profiled.tables):
        row = existing.pop(table.name, None) or CatalogTable(catalog=catalog, name=table.name)
        row.position = position
        row.profile = table.model_dump(mode="json", exclude={"columns"})
        row.missing = row.stale = False
        row.save()
        columns = {c.name: c for c in row.columns.all()} if row.pk else {}
        for index, column in enumerate(table.columns):
            cell = columns.pop(column.name, None) or CatalogColumn(table=row, name=column.name)
            if cell.pk and cell.type and cell.type != column.type and _has_notes(cell):
                cell.stale = True
            elif cell.missing:
                cell.stale = False
            cell.position, cell.type, cell.missing = index, column.type, False
            cell.profile = column.model_dump(mode="json")
            cell.save()
        _forget_columns(columns.values())
    for row in existing.values():
        notes = _has_notes(row) or any(_has_notes(c) for c in row.columns.all())
        if notes:
            row.missing = row.stale = True
            row.save(update_fields=["missing", "stale"])
            _forget_columns(row.columns.all())
        else:
            row.delete()
    catalog.relationships.exclude(origin="curated").delete()
    CatalogRelationship.objects.bulk_create(
        CatalogRelationship(
            catalog=catalog,
            from_table=r.from_table,
            from_column=r.from_column,
            to_table=r.to_table,
            to_column=r.to_column,
            cardinality=r.cardinality,
            origin=r.origin,
        )
        for r in profiled.relationships
    )
    _flag_stale_references(catalog)
    catalog.dialect = profiled.dialect
    catalog.schema_fingerprint = profiled.schema_fingerprint
    catalog.profiled_at = parse_datetime(profiled.profiled_at or "") or timezone.now()
    catalog.notes = list(profiled.notes)
    catalog.save()
    _bump(catalog)
    return catalog


def _forget_columns(columns: Any) -> None:
    for cell in columns:
        if _has_notes(cell):
            if not cell.missing:
                cell.missing = cell.stale = True
                cell.save(update_fields=["missing", "stale"])
        else:
            cell.delete()


def _present(catalog: Catalog) -> set[tuple[str, str]]:
    return {
        (table.lower(), column.lower())
        for table, column in CatalogColumn.objects.filter(
            table__catalog=catalog, missing=False, table__missing=False
        ).values_list("table__name", "name")
    }


def _flag_stale_references(catalog: Catalog) -> None:
    """Curated relationships and metrics that name a column the profile no longer has."""
    present = _present(catalog)
    for relationship in catalog.relationships.filter(origin="curated"):
        ends = [(relationship.from_table, relationship.from_column)]
        if not relationship.removed:
            ends.append((relationship.to_table, relationship.to_column))
        stale = any((t.lower(), c.lower()) not in present for t, c in ends)
        if stale != relationship.stale:
            relationship.stale = stale
            relationship.save(update_fields=["stale"])
    for metric in catalog.metrics.all():
        stale = metric_is_stale(metric, present, catalog.dialect)
        if stale != metric.stale:
            metric.stale = stale
            metric.save(update_fields=["stale"])


def metric_is_stale(metric: CatalogMetric, present: set[tuple[str, str]], dialect: str) -> bool:
    named = references.metric_columns(metric.expression, metric.table.lower(), dialect)
    return any(ref not in present for ref in named)


def _bump(catalog: Catalog) -> None:
    Catalog.objects.filter(pk=catalog.pk).update(revision=F("revision") + 1, stamp=uuid.uuid4())


# --- the curated layer --------------------------------------------------------------------------


def curated_document(catalog: Catalog) -> CatalogDocument:
    """The curators' layer of `catalog` as the export file."""
    from executors.catalog.document import ColumnNotes, MetricNote, RelationshipNote, TableNotes

    tables: dict[str, TableNotes] = {}
    for table in catalog.tables.prefetch_related("columns"):
        columns = {
            c.name: ColumnNotes(
                label=c.label,
                description=c.description,
                synonyms=list(c.synonyms),
                hidden=c.hidden,
                role=c.role or None,  # type: ignore[arg-type]
                aggregation=c.default_aggregation or None,  # type: ignore[arg-type]
                format=c.format or None,  # type: ignore[arg-type]
            )
            for c in table.columns.all()
            if _has_notes(c)
        }
        if columns or _has_notes(table):
            tables[table.name] = TableNotes(
                label=table.label,
                description=table.description,
                synonyms=list(table.synonyms),
                hidden=table.hidden,
                columns=columns,
            )
    relationships = [
        RelationshipNote.model_validate(
            {
                "from": f"{r.from_table}.{r.from_column}",
                "to": None if r.removed else f"{r.to_table}.{r.to_column}",
                "cardinality": r.cardinality,
                "removed": r.removed,
            }
        )
        for r in catalog.relationships.filter(origin="curated")
    ]
    metrics = [
        MetricNote(
            name=m.name,
            expression=m.expression,
            table=m.table,
            synonyms=list(m.synonyms),
            description=m.description,
            format=m.format,  # type: ignore[arg-type]
        )
        for m in catalog.metrics.all()
    ]
    return CatalogDocument(
        engine=catalog.engine, tables=tables, relationships=relationships, metrics=metrics
    )


@dataclass
class ImportReport:
    engine: str
    differences: list[str]
    warnings: list[str] = field(default_factory=list)
    applied: bool = False
    version: int | None = None


def import_document(
    engine_name: str,
    document: CatalogDocument,
    *,
    author: Any = None,
    change: str = "imported the semantic model",
    dry_run: bool = False,
) -> ImportReport:
    """Replace the curated layer of one engine's catalog with `document`, all or nothing. A dry
    run (or a document that changes nothing) only reports the differences."""
    Catalog.objects.get_or_create(engine=engine_name, defaults={"dialect": "duckdb"})
    catalog = Catalog.objects.get(engine=engine_name)
    validate(document.dump(), dialect=catalog.dialect)
    current = curated_document(catalog)
    report = ImportReport(
        engine=engine_name,
        differences=differences(current, document),
        warnings=_warnings(catalog, document),
    )
    if dry_run or not report.differences:
        return report
    with transaction.atomic():
        catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
        _replace_curated_layer(catalog, document)
        report.version = record_change(catalog, author, change).number
    report.applied = True
    return report


def _warnings(catalog: Catalog, document: CatalogDocument) -> list[str]:
    if catalog.profiled_at is None:
        return ["The engine has not been profiled yet: nothing could be checked against its data."]
    present = _present(catalog)
    tables = {t for t, _ in present}
    warnings = []
    for name, notes in document.tables.items():
        if name.lower() not in tables:
            warnings.append(f"tables.{name}: no such table in the profiled catalog (kept, stale).")
            continue
        for column in notes.columns:
            if (name.lower(), column.lower()) not in present:
                warnings.append(f"tables.{name}.columns.{column}: no such column (kept, stale).")
    for metric in document.metrics:
        named = references.metric_columns(metric.expression, metric.table.lower(), catalog.dialect)
        for table, column in sorted(named - present):
            warnings.append(f"metrics.{metric.name}: names {table}.{column}, which does not exist.")
    return warnings


def _replace_curated_layer(catalog: Catalog, document: CatalogDocument) -> None:
    CatalogTable.objects.filter(catalog=catalog).update(
        label="", description="", synonyms=[], hidden=False
    )
    CatalogColumn.objects.filter(table__catalog=catalog).update(
        label="",
        description="",
        synonyms=[],
        hidden=False,
        role="",
        default_aggregation="",
        format="",
        stale=False,
    )
    catalog.relationships.filter(origin="curated").delete()
    catalog.metrics.all().delete()
    tables = {t.name: t for t in catalog.tables.all()}
    for name, notes in document.tables.items():
        table = tables.get(name)
        if table is None:
            table = CatalogTable(catalog=catalog, name=name, position=10_000, missing=True)
        table.label, table.description = notes.label, notes.description
        table.synonyms, table.hidden = list(notes.synonyms), notes.hidden
        table.save()
        columns = {c.name: c for c in table.columns.all()}
        for column_name, column_notes in notes.columns.items():
            cell = columns.get(column_name) or CatalogColumn(
                table=table, name=column_name, position=10_000, missing=True
            )
            cell.label, cell.description = column_notes.label, column_notes.description
            cell.synonyms, cell.hidden = list(column_notes.synonyms), column_notes.hidden
            cell.role = column_notes.role or ""
            cell.default_aggregation = column_notes.aggregation or ""
            cell.format = column_notes.format or ""
            cell.stale = cell.missing
            cell.save()
    CatalogRelationship.objects.bulk_create(
        CatalogRelationship(
            catalog=catalog,
            from_table=r.from_table,
            from_column=r.from_column,
            to_table=r.to_table,
            to_column=r.to_column,
            cardinality=r.cardinality,
            origin="curated",
            removed=r.removed,
        )
        for r in document.relationships
    )
    CatalogMetric.objects.bulk_create(
        CatalogMetric(
            catalog=catalog,
            name=m.name,
            expression=m.expression,
            table=m.table,
            synonyms=list(m.synonyms),
            description=m.description,
            format=m.format,
        )
        for m in document.metrics
    )
    # Rows kept only for notes that the new layer no longer has.
    for table in catalog.tables.filter(missing=True).prefetch_related("columns"):
        if not _has_notes(table) and not any(_has_notes(c) for c in table.columns.all()):
            table.delete()
    for cell in CatalogColumn.objects.filter(table__catalog=catalog, missing=True):
        if not _has_notes(cell):
            cell.delete()
    _flag_stale_references(catalog)


def record_change(catalog: Catalog, author: Any, change: str) -> CatalogVersion:
    """Keep the curated layer as it is now as the next version, and tell every process."""
    with transaction.atomic():
        locked = Catalog.objects.select_for_update().get(pk=catalog.pk)
        locked.version += 1
        locked.save(update_fields=["version"])
        version = CatalogVersion.objects.create(
            catalog=locked,
            number=locked.version,
            document=curated_document(locked).dump(),
            author=author if getattr(author, "pk", None) else None,
            change=change[:255],
        )
        _bump(locked)
    return version


def curated_change(catalog: Catalog, author: Any, change: str) -> CatalogVersion:
    """After a curator edited rows directly (Django admin): re-check stale references, then
    record the version."""
    _flag_stale_references(catalog)
    return record_change(catalog, author, change)


def restore_version(version: CatalogVersion, author: Any) -> ImportReport:
    document = validate(version.document, dialect=version.catalog.dialect)
    return import_document(
        version.catalog.engine,
        document,
        author=author,
        change=f"restored version {version.number}",
    )

"""The curated layer applied over a profile: the one place that says how curated notes win over
profiled guesses. Pure; the stored catalog (selectors.build) and file-based tools (eval on a
DuckDB file plus a catalog file) both use it."""

from __future__ import annotations

from executors.catalog import references
from executors.catalog.document import CatalogDocument, ColumnNotes, TableNotes
from executors.catalog.model import (
    Metric,
    Relationship,
    SemanticCatalog,
    SemanticColumn,
    SemanticTable,
)

# A curator who changes a column's role without choosing an aggregation gets the role's usual one.
ROLE_AGGREGATION = {"measure": "sum", "identifier": "count_distinct"}


def apply_document(profiled: SemanticCatalog, document: CatalogDocument) -> SemanticCatalog:
    """`profiled` with `document`'s notes applied. Notes on tables or columns the profile does
    not have are ignored; a curated relationship replaces what was inferred from the same
    column (or removes it); curated relationships and metrics that name a column the profile
    does not have are marked stale."""
    notes = {name.lower(): table for name, table in document.tables.items()}
    tables = [_table(t, notes.get(t.name.lower())) for t in profiled.tables]
    present = {(t.name.lower(), c.name.lower()) for t in tables for c in t.columns}

    curated_from = {(r.from_table.lower(), r.from_column.lower()) for r in document.relationships}
    relationships = [
        r
        for r in profiled.relationships
        if (r.from_table.lower(), r.from_column.lower()) not in curated_from
    ]
    for note in document.relationships:
        if note.removed:
            continue
        ends = {
            (note.from_table.lower(), note.from_column.lower()),
            (note.to_table.lower(), note.to_column.lower()),
        }
        relationships.append(
            Relationship(
                from_table=note.from_table,
                from_column=note.from_column,
                to_table=note.to_table,
                to_column=note.to_column,
                cardinality=note.cardinality,
                origin="curated",
                stale=not ends <= present,
            )
        )
    metrics = [
        Metric(
            name=m.name,
            expression=m.expression,
            table=m.table,
            synonyms=list(m.synonyms),
            description=m.description,
            format=m.format,
            stale=not references.metric_columns(m.expression, m.table.lower(), profiled.dialect)
            <= present,
        )
        for m in document.metrics
    ]
    return profiled.model_copy(
        update={"tables": tables, "relationships": relationships, "metrics": metrics}
    )


def _table(table: SemanticTable, notes: TableNotes | None) -> SemanticTable:
    if notes is None:
        return table
    columns = {name.lower(): column for name, column in notes.columns.items()}
    return table.model_copy(
        update={
            "label": notes.label or table.label,
            "description": notes.description or table.description,
            "synonyms": list(notes.synonyms),
            "hidden": notes.hidden,
            "columns": [_column(c, columns.get(c.name.lower())) for c in table.columns],
        }
    )


def _column(column: SemanticColumn, notes: ColumnNotes | None) -> SemanticColumn:
    if notes is None:
        return column
    role = notes.role or column.role
    aggregation = notes.aggregation or (
        ROLE_AGGREGATION.get(role, "none") if role != column.role else column.default_aggregation
    )
    return column.model_copy(
        update={
            "role": role,
            "label": notes.label or column.label,
            "description": notes.description or column.description,
            "synonyms": list(notes.synonyms),
            "hidden": notes.hidden,
            "default_aggregation": aggregation,
            "format": notes.format or column.format,
        }
    )

"""The catalog the agent and the portal read: each engine's tables, columns, types, descriptions
(the engine's COMMENT ON text, completed by executors/catalog.yaml with synonyms), row counts,
sample values of low-cardinality text columns, and foreign keys (declared, or inferred from
`*_id` names). Cached per engine until `refresh=True` (`GET /api/catalog?refresh=1`)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import yaml
from django.core.cache import cache

from executors import registry
from executors.engines.base import ForeignKey, TableInfo
from executors.errors import ExecutorError
from executors.schemas import (
    CatalogColumn,
    CatalogForeignKey,
    CatalogOut,
    CatalogTable,
    EngineCatalog,
    GlossaryEntry,
)

YAML_PATH = Path(__file__).parent.parent / "catalog.yaml"
CACHE_SECONDS = 3600


@functools.cache
def load_annotations(path: Path = YAML_PATH) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def glossary() -> list[GlossaryEntry]:
    return [
        GlossaryEntry(term=str(item["term"]), meaning=str(item["meaning"]))
        for item in load_annotations().get("glossary") or []
        if isinstance(item, dict) and "term" in item and "meaning" in item
    ]


def infer_foreign_keys(tables: list[TableInfo]) -> dict[str, list[ForeignKey]]:
    """Declared keys plus, for each `x_id` column, a key to the other table whose primary key
    (declared, or its first column) is `x_id`."""
    owners: dict[str, str] = {}
    for table in tables:
        key = _primary_key(table)
        if len(key) == 1 and key[0].endswith("_id"):
            owners.setdefault(key[0], table.name)
    keys: dict[str, list[ForeignKey]] = {}
    for table in tables:
        found = list(table.foreign_keys)
        declared = {fk.column for fk in found}
        own_key = _primary_key(table)
        for column in table.columns:
            target = owners.get(column.name)
            if (
                column.name.endswith("_id")
                and column.name not in declared
                and column.name not in own_key
                and target is not None
                and target != table.name
            ):
                found.append(ForeignKey(column.name, target, column.name, declared=False))
        keys[table.name] = found
    return keys


def _primary_key(table: TableInfo) -> list[str]:
    if table.primary_key:
        return list(table.primary_key)
    first = table.columns[0].name if table.columns else ""
    return [first] if first.endswith("_id") else []


def build_engine_catalog(name: str) -> EngineCatalog:
    engine = registry.get_engine(name)
    entry = EngineCatalog(
        name=engine.name,
        kind=engine.kind,
        dialect=engine.dialect,
        default=engine.name == registry.default_engine_name(),
    )
    try:
        tables = engine.catalog()
    except ExecutorError as exc:
        entry.error = exc.message
        return entry
    except Exception as exc:
        entry.error = f"{type(exc).__name__}: {exc}"
        return entry
    notes = load_annotations().get("tables") or {}
    foreign_keys = infer_foreign_keys(tables)
    entry.tables = [_table(table, notes.get(table.name) or {}, foreign_keys) for table in tables]
    return entry


def _table(
    table: TableInfo, notes: dict[str, Any], foreign_keys: dict[str, list[ForeignKey]]
) -> CatalogTable:
    column_notes = notes.get("columns") or {}
    return CatalogTable(
        name=table.name,
        description=table.description or str(notes.get("description") or ""),
        synonyms=[str(s) for s in notes.get("synonyms") or []],
        row_count=table.row_count,
        primary_key=_primary_key(table),
        columns=[
            CatalogColumn(
                name=column.name,
                type=column.type,
                description=column.description
                or str((column_notes.get(column.name) or {}).get("description") or ""),
                synonyms=[
                    str(s) for s in (column_notes.get(column.name) or {}).get("synonyms") or []
                ],
                sample_values=list(column.sample_values),
            )
            for column in table.columns
        ],
        foreign_keys=[
            CatalogForeignKey(
                column=fk.column,
                ref_table=fk.ref_table,
                ref_column=fk.ref_column,
                declared=fk.declared,
            )
            for fk in foreign_keys.get(table.name, [])
        ],
    )


def _cache_key(name: str) -> str:
    # The engine's own location counts too: a registered engine is not in the settings.
    where = getattr(registry.get_engine(name), "path", None)
    fingerprint = hashlib.sha1(repr((registry.config_key(), where)).encode()).hexdigest()[:12]
    return f"vizorch:catalog:{fingerprint}:{name}"


def engine_catalog(name: str | None = None, *, refresh: bool = False) -> EngineCatalog:
    """One engine's catalog, from the cache unless `refresh`; failures are not cached."""
    name = name or registry.default_engine_name()
    registry.get_engine(name)  # UnknownEngine before touching the cache
    key = _cache_key(name)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return EngineCatalog.model_validate(cached)
    entry = build_engine_catalog(name)
    if entry.error is None:
        cache.set(key, entry.model_dump(), CACHE_SECONDS)
    return entry


def get_catalog(*, engine: str | None = None, refresh: bool = False) -> CatalogOut:
    names = [engine] if engine else registry.engine_names()
    return CatalogOut(
        default_engine=registry.default_engine_name(),
        engines=[engine_catalog(name, refresh=refresh) for name in names],
        glossary=glossary(),
    )


def find_table(entry: EngineCatalog, name: str) -> CatalogTable | None:
    wanted = name.strip().strip('"').lower()
    return next((table for table in entry.tables if table.name.lower() == wanted), None)

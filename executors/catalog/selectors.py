"""Reads of the semantic catalog. `semantic_catalog(engine)` is the effective catalog: the stored
profile with the curators' layer applied, profiled on first use and again when the engine's
schema changes. Each process keeps the catalogs it built, and checks on every read, with one
indexed query, that the stored catalog's stamp is still the one it built from: an edit in admin
reaches every web and worker process at their next read."""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from typing import Any

from django.conf import settings

from executors import access, registry
from executors.catalog import references
from executors.catalog.curation import apply_document
from executors.catalog.model import (
    Relationship,
    SemanticCatalog,
    SemanticColumn,
    SemanticTable,
)
from executors.catalog.profile import schema_fingerprint
from executors.engines.base import Engine
from executors.errors import ExecutorError
from executors.models import Catalog, CatalogColumn, CatalogTable
from executors.schemas import CatalogOut, EngineCatalog, EngineOut, EnginesOut

_lock = threading.Lock()
# engine name -> (stamp, full catalog, what models see)
_built: dict[str, tuple[uuid.UUID, SemanticCatalog, SemanticCatalog]] = {}
# When each engine object's schema was last compared with the stored fingerprint.
_checked: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
# One profile at a time per engine in this process (others wait for it rather than repeat it).
_profiling: dict[str, threading.Lock] = {}


def schema_check_interval_s() -> float:
    return float(getattr(settings, "VIZORCH_CATALOG_SCHEMA_CHECK_S", 60.0))


def semantic_catalog(
    engine_name: str | None = None, *, include_hidden: bool = False
) -> SemanticCatalog:
    """The effective semantic catalog of one engine (the default engine when None). Without
    `include_hidden`, hidden tables and columns, and the relationships and metrics that name
    them or went stale, are left out: that is what the analyst, models and the portal see.
    Raises `UnknownEngine`, or `EngineUnavailable` when an engine never profiled cannot be."""
    return effective_catalog(registry.get_engine(engine_name), include_hidden=include_hidden)


def effective_catalog(engine: Engine, *, include_hidden: bool = False) -> SemanticCatalog:
    """`semantic_catalog` for an engine the caller already resolved."""
    state = _state(engine.name)
    if state is None or _schema_changed(engine, state["schema_fingerprint"]):
        _profile(engine, state)
        state = _state(engine.name)
        assert state is not None
    full, visible = _cached(engine.name, state["stamp"])
    return full if include_hidden else visible


def stored_catalog(engine_name: str, *, include_hidden: bool = False) -> SemanticCatalog | None:
    """The effective catalog as stored, without profiling or reading the engine (None when the
    engine was never profiled)."""
    state = _state(engine_name)
    if state is None:
        return None
    full, visible = _cached(engine_name, state["stamp"])
    return full if include_hidden else visible


def _state(engine_name: str) -> dict[str, Any] | None:
    found = (
        Catalog.objects.filter(engine=engine_name, profiled_at__isnull=False)
        .values("stamp", "schema_fingerprint")
        .first()
    )
    return dict(found) if found is not None else None


def _schema_changed(engine: Engine, fingerprint: str) -> bool:
    """Read the engine's schema at most once per interval per engine object (a rebuilt engine,
    e.g. on another file, is checked at once); an engine that cannot be read keeps its catalog."""
    now = time.monotonic()
    with _lock:
        last = _checked.get(engine)
        if last is not None and now - last < schema_check_interval_s():
            return False
        _checked[engine] = now
    try:
        return schema_fingerprint(engine.catalog()) != fingerprint
    except ExecutorError:
        return False


def _profile(engine: Engine, state: dict[str, Any] | None) -> None:
    from executors.catalog import services

    with _lock:
        guard = _profiling.setdefault(engine.name, threading.Lock())
    with guard:
        again = _state(engine.name)
        if again is not None and (state is None or again["stamp"] != state["stamp"]):
            return  # profiled meanwhile by another thread
        services.refresh_catalog(engine=engine)


def _cached(engine_name: str, stamp: uuid.UUID) -> tuple[SemanticCatalog, SemanticCatalog]:
    with _lock:
        found = _built.get(engine_name)
    if found is not None and found[0] == stamp:
        return found[1], found[2]
    catalog = Catalog.objects.get(engine=engine_name)
    full = build(catalog)
    visible = visible_part(full)
    with _lock:
        _built[engine_name] = (catalog.stamp, full, visible)
    return full, visible


def build(catalog: Catalog) -> SemanticCatalog:
    """The effective catalog from the stored rows: the stored profile with the curated layer
    applied (executors.catalog.curation), and the stale flags the last profile set."""
    from executors.catalog.services import curated_document

    rows = list(
        CatalogTable.objects.filter(catalog=catalog, missing=False).prefetch_related("columns")
    )
    profiled = SemanticCatalog(
        engine=catalog.engine,
        dialect=catalog.dialect,
        tables=[_profiled_table(row) for row in rows],
        relationships=[
            Relationship(
                from_table=r.from_table,
                from_column=r.from_column,
                to_table=r.to_table,
                to_column=r.to_column,
                cardinality=r.cardinality,  # type: ignore[arg-type]
                origin=r.origin,  # type: ignore[arg-type]
            )
            for r in catalog.relationships.exclude(origin="curated")
        ],
        schema_fingerprint=catalog.schema_fingerprint,
        profiled_at=catalog.profiled_at.isoformat(timespec="seconds")
        if catalog.profiled_at
        else None,
        notes=list(catalog.notes),
        revision=catalog.revision,
    )
    return apply_document(profiled, curated_document(catalog))


def _profiled_table(row: CatalogTable) -> SemanticTable:
    profile = dict(row.profile or {})
    profile.update(
        name=row.name,
        label=profile.get("label") or row.name,
        stale=row.stale,
        columns=[_profiled_column(c) for c in row.columns.all() if not c.missing],
    )
    profile.pop("synonyms", None)
    profile.pop("hidden", None)
    return SemanticTable.model_validate(profile)


def _profiled_column(row: CatalogColumn) -> SemanticColumn:
    profile = dict(row.profile or {})
    profile.update(name=row.name, type=row.type or profile.get("type") or "", stale=row.stale)
    profile.setdefault("role", "dimension")
    profile.setdefault("label", row.name)
    profile.pop("synonyms", None)
    profile.pop("hidden", None)
    return SemanticColumn.model_validate(profile)


def visible_part(catalog: SemanticCatalog) -> SemanticCatalog:
    """`catalog` without what must not reach a model: hidden tables and columns, relationships
    and metrics that name them, stale relationships and metrics."""
    tables = [
        table.model_copy(update={"columns": [c for c in table.columns if not c.hidden]})
        for table in catalog.tables
        if not table.hidden
    ]
    shown = {(t.name.lower(), c.name.lower()) for t in tables for c in t.columns}
    relationships = [
        r
        for r in catalog.relationships
        if not r.stale
        and (r.from_table.lower(), r.from_column.lower()) in shown
        and (r.to_table.lower(), r.to_column.lower()) in shown
    ]
    metrics = [
        m
        for m in catalog.metrics
        if not m.stale
        and references.metric_columns(m.expression, m.table.lower(), catalog.dialect) <= shown
    ]
    return catalog.model_copy(
        update={"tables": tables, "relationships": relationships, "metrics": metrics}
    )


KIND_LABELS = {"duckdb_local": "Local DuckDB", "duckdb_remote": "Remote DuckDB", "spark": "Spark"}
CONFIGURED_NAMES = {"local", "remote", "spark"}


def engine_label(engine: Engine) -> str:
    """ "Local DuckDB", "Remote DuckDB", "Spark"; an engine added under another name keeps it."""
    kind = KIND_LABELS.get(engine.kind, engine.kind)
    return kind if engine.name in CONFIGURED_NAMES else f"{engine.name} ({kind})"


def engines_out(user: Any) -> EnginesOut:
    """The engines `user` may use and the one their questions run on by default."""
    default = access.default_engine_for(user)
    return EnginesOut(
        default=default,
        engines=[
            EngineOut(
                name=e.name,
                kind=e.kind,
                dialect=e.dialect,
                label=engine_label(e),
                default=e.name == default,
            )
            for e in (registry.get_engine(name) for name in access.usable_engines(user))
        ],
    )


def catalog_out(user: Any, *, engine: str | None = None, refresh: bool = False) -> CatalogOut:
    """The visible catalog of every engine `user` may use (or of one: `UnknownEngine` when they
    may not use it) for `GET /api/catalog`; an engine that cannot be read carries the reason
    instead. `refresh` profiles the data again first."""
    default = access.default_engine_for(user) or ""
    names = [access.check_engine(user, engine)] if engine else access.usable_engines(user)
    return CatalogOut(
        default_engine=default,
        engines=[
            _engine_entry(registry.get_engine(name), default=default, refresh=refresh)
            for name in names
        ],
    )


def _engine_entry(engine: Engine, *, default: str, refresh: bool) -> EngineCatalog:
    entry = EngineCatalog(
        name=engine.name,
        kind=engine.kind,
        dialect=engine.dialect,
        label=engine_label(engine),
        default=engine.name == default,
    )
    try:
        if refresh:
            from executors.catalog import services

            services.refresh_catalog(engine=engine)
        catalog = effective_catalog(engine)
    except ExecutorError as exc:
        entry.error = exc.message
        return entry
    entry.tables = catalog.tables
    entry.relationships = catalog.relationships
    entry.metrics = catalog.metrics
    entry.profiled_at = catalog.profiled_at
    entry.notes = catalog.notes
    entry.revision = catalog.revision
    return entry


def forget_cached() -> None:
    """Drop this process's built catalogs and schema checks (tests)."""
    with _lock:
        _built.clear()
        _checked.clear()

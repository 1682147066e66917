"""The one entry point for running a query: guard, engine, result store. Chat, templates and the
API all call `execute_query` (sync, in the caller's thread) or `aexecute_query` (async: the engine
work runs in a worker thread, never on the event loop)."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from executors import registry, results
from executors.engines.base import (
    Dialect,
    EngineResult,
    ProgressCallback,
    QueryLimits,
)
from executors.errors import TooManyQueries
from executors.guard import GuardedStatement, guard
from executors.models import QueryResult

PREVIEW_ROWS = 20


@dataclass(frozen=True)
class StoredResult:
    """What a caller gets back: where the data lives and enough to describe it."""

    id: str
    url: str
    size: str
    format: str
    row_count: int
    truncated: bool
    columns: list[dict[str, str]]
    engine: str
    sql: str
    preview: list[list[Any]] = field(default_factory=list)
    record: QueryResult | None = field(default=None, compare=False, repr=False)


@dataclass
class _Ran:
    statement: GuardedStatement
    engine: str
    tag: str
    result: EngineResult
    path: Any
    preview: list[list[Any]]


def default_limits() -> QueryLimits:
    return QueryLimits(
        max_rows=int(getattr(settings, "VIZORCH_MAX_ROWS", QueryLimits.max_rows)),
        timeout_s=float(getattr(settings, "VIZORCH_QUERY_TIMEOUT_S", QueryLimits.timeout_s)),
    )


def prepare(
    sql: str,
    *,
    engine_name: str | None = None,
    source_dialect: Dialect | None = None,
    max_rows: int | None = None,
) -> GuardedStatement:
    """Guard `sql` for an engine without running it (written in `source_dialect`, by default the
    engine's own; DuckDB SQL sent to Spark is transpiled)."""
    engine = registry.get_engine(engine_name)
    return guard(
        sql,
        dialect=source_dialect or engine.dialect,
        target=engine.dialect,
        max_rows=max_rows if max_rows is not None else default_limits().max_rows,
        policy=registry.policy_for(engine.name),
    )


def _run(
    sql: str,
    *,
    engine_name: str | None,
    tag: str | None,
    limits: QueryLimits | None,
    on_progress: ProgressCallback | None,
    source_dialect: Dialect | None,
) -> _Ran:
    engine = registry.get_engine(engine_name)
    limits = limits or default_limits()
    statement = prepare(
        sql, engine_name=engine.name, source_dialect=source_dialect, max_rows=limits.max_rows
    )
    tag = tag or f"vizorch-{uuid.uuid4().hex}"
    result = engine.run(statement.sql, limits=limits, tag=tag, on_progress=on_progress)
    preview = results.preview_rows(result.table, PREVIEW_ROWS) if result.table is not None else []
    path = results.write_parquet(result, uuid.uuid4())
    if result.table is None:
        preview = results.preview_from_file(path, PREVIEW_ROWS)
    return _Ran(statement, engine.name, tag, result, path, preview)


def _record(ran: _Ran, owner: Any) -> StoredResult:
    record = results.record_result(
        ran.path,
        owner=owner,
        engine=ran.engine,
        sql=ran.statement.query,
        tag=ran.tag,
        result=ran.result,
    )
    return stored(record, preview=ran.preview)


def stored(record: QueryResult, *, preview: list[list[Any]] | None = None) -> StoredResult:
    """A stored result as callers see it; without `preview`, the first rows are read from its
    file."""
    if preview is None:
        preview = (
            results.preview_from_file(record.path, PREVIEW_ROWS) if record.path.exists() else []
        )
    return StoredResult(
        id=str(record.id),
        url=record.url,
        size=record.size,
        format="json" if record.size == QueryResult.SMALL else "parquet",
        row_count=record.row_count,
        truncated=record.truncated,
        columns=record.columns,
        engine=record.engine,
        sql=record.sql,
        preview=preview,
        record=record,
    )


def execute_query(
    sql: str,
    *,
    engine_name: str | None = None,
    owner: Any = None,
    tag: str | None = None,
    limits: QueryLimits | None = None,
    on_progress: ProgressCallback | None = None,
    source_dialect: Dialect | None = None,
) -> StoredResult:
    """Guard `sql`, run it on the engine in this thread, store the result as Parquet and a row.
    Raises `executors.errors.*` (refused, failed, timed out, cancelled, engine unavailable)."""
    ran = _run(
        sql,
        engine_name=engine_name,
        tag=tag,
        limits=limits,
        on_progress=on_progress,
        source_dialect=source_dialect,
    )
    return _record(ran, owner)


async def aexecute_query(
    sql: str,
    *,
    engine_name: str | None = None,
    owner: Any = None,
    tag: str | None = None,
    limits: QueryLimits | None = None,
    on_progress: ProgressCallback | None = None,
    source_dialect: Dialect | None = None,
) -> StoredResult:
    """`execute_query` for async callers: the guard, the engine and the Parquet write run in a
    worker thread of their own; only the short database insert uses Django's sync thread.
    `on_progress` is called from that worker thread."""
    ran = await sync_to_async(_run, thread_sensitive=False)(
        sql,
        engine_name=engine_name,
        tag=tag,
        limits=limits,
        on_progress=on_progress,
        source_dialect=source_dialect,
    )
    return await sync_to_async(_record)(ran, owner)


def cancel_query(tag: str, *, engine_name: str | None = None) -> bool:
    """Stop the statement running under `tag` on one engine (or on every engine)."""
    engines = [registry.get_engine(engine_name)] if engine_name else registry.all_engines()
    return any([engine.cancel(tag) for engine in engines])


# --- per-user concurrency ------------------------------------------------------------------------

_running_lock = threading.Lock()
_running: dict[Any, int] = {}


def concurrency_limit() -> int:
    return int(getattr(settings, "VIZORCH_QUERY_CONCURRENCY", 2))


@contextlib.contextmanager
def user_slot(user_key: Any, *, limit: int | None = None) -> Iterator[None]:
    """Hold one of the user's query slots (in this process) for the duration of the block;
    `TooManyQueries` when all are taken."""
    limit = concurrency_limit() if limit is None else limit
    with _running_lock:
        if _running.get(user_key, 0) >= limit:
            raise TooManyQueries(
                f"You already have {limit} queries running; wait for one to finish.",
                retry_after=2,
            )
        _running[user_key] = _running.get(user_key, 0) + 1
    try:
        yield
    finally:
        with _running_lock:
            left = _running.get(user_key, 1) - 1
            if left:
                _running[user_key] = left
            else:
                _running.pop(user_key, None)

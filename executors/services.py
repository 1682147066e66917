"""The one entry point for running a query: guard, a turn on the engine (executors/scheduling.py),
engine, result store. Chat, templates and the API all call `execute_query` (sync, in the caller's
thread) or `aexecute_query` (async: the engine work runs in a worker thread, never on the event
loop)."""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from executors import access, columns, registry, results, scheduling
from executors.catalog.selectors import stored_catalog
from executors.engines.base import (
    Dialect,
    Engine,
    EngineResult,
    Progress,
    ProgressCallback,
    QueryLimits,
)
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
    columns: list[dict[str, Any]]
    """`ResultColumn`s: name, closed type, Arrow type, format, grain (executors/columns.py)."""
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
        max_bytes=results.max_result_bytes(),
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


def _guarded(
    sql: str,
    *,
    engine_name: str | None,
    limits: QueryLimits | None,
    source_dialect: Dialect | None,
) -> tuple[Engine, QueryLimits, GuardedStatement]:
    engine = registry.get_engine(engine_name)
    limits = limits or default_limits()
    statement = prepare(
        sql, engine_name=engine.name, source_dialect=source_dialect, max_rows=limits.max_rows
    )
    return engine, limits, statement


def _run(
    engine: Engine,
    statement: GuardedStatement,
    *,
    tag: str,
    limits: QueryLimits,
    on_progress: ProgressCallback | None,
) -> _Ran:
    result = engine.run(statement.sql, limits=limits, tag=tag, on_progress=on_progress)
    preview = results.preview_rows(result.table, PREVIEW_ROWS) if result.table is not None else []
    path = results.write_parquet(result, uuid.uuid4())
    if result.table is None:
        preview = results.preview_from_file(path, PREVIEW_ROWS)
    return _Ran(statement, engine.name, tag, result, path, preview)


def _ticket(
    engine: Engine, owner: Any, tag: str, limits: QueryLimits, max_wait_s: float | None
) -> scheduling.Ticket:
    return scheduling.scheduler().submit(
        engine.name,
        str(getattr(owner, "pk", None) or "-"),
        tag=tag,
        timeout_s=limits.timeout_s,
        max_wait_s=scheduling.max_wait_s() if max_wait_s is None else max_wait_s,
        capacity=scheduling.engine_concurrency(engine.name, engine.max_concurrency),
    )


def _record(ran: _Ran, owner: Any) -> StoredResult:
    record = results.record_result(
        ran.path,
        owner=owner,
        engine=ran.engine,
        sql=ran.statement.query,
        tag=ran.tag,
        result=ran.result,
        describe=functools.partial(_describe, ran.statement, ran.engine),
    )
    return stored(record, preview=ran.preview)


def _describe(
    statement: GuardedStatement, engine: str, schema: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """The result's columns traced to the engine's catalog as stored (never profiled here)."""
    return columns.describe(
        schema,
        statement.query,
        dialect=statement.dialect,
        catalog=stored_catalog(engine, include_hidden=True),
    )


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
        columns=columns.result_columns(record.schema),
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
    max_wait_s: float | None = None,
) -> StoredResult:
    """Guard `sql`, wait for its turn on the engine (at most `max_wait_s`, by default
    VIZORCH_QUERY_MAX_WAIT_S; `math.inf` waits until cancelled), run it in this thread, store the
    result as Parquet and a row. Raises `executors.errors.*` (refused, busy, failed, timed out,
    cancelled, engine unavailable, the owner's result quota reached)."""
    results.ensure_room(owner)
    engine, limits, statement = _guarded(
        sql, engine_name=engine_name, limits=limits, source_dialect=source_dialect
    )
    tag = tag or f"vizorch-{uuid.uuid4().hex}"
    ticket = _ticket(engine, owner, tag, limits, max_wait_s)
    run = functools.partial(
        _run, engine, statement, tag=tag, limits=limits, on_progress=on_progress
    )
    return _record(scheduling.scheduler().run(ticket, run), owner)


async def aexecute_query(
    sql: str,
    *,
    engine_name: str | None = None,
    owner: Any = None,
    tag: str | None = None,
    limits: QueryLimits | None = None,
    on_progress: ProgressCallback | None = None,
    source_dialect: Dialect | None = None,
    max_wait_s: float | None = None,
) -> StoredResult:
    """`execute_query` for async callers: the guard runs in a worker thread, the wait for a turn
    holds no thread, the engine and the Parquet write run on a statement thread; only the quota
    check and the short database insert use Django's sync thread. `on_progress` is called from
    the statement thread."""
    await sync_to_async(results.ensure_room)(owner)
    engine, limits, statement = await sync_to_async(_guarded, thread_sensitive=False)(
        sql, engine_name=engine_name, limits=limits, source_dialect=source_dialect
    )
    tag = tag or f"vizorch-{uuid.uuid4().hex}"
    ticket = _ticket(engine, owner, tag, limits, max_wait_s)
    run = functools.partial(
        _run, engine, statement, tag=tag, limits=limits, on_progress=on_progress
    )
    ran = await scheduling.scheduler().arun(ticket, run, _waiting_reporter(on_progress))
    return await sync_to_async(_record)(ran, owner)


def _waiting_reporter(on_progress: ProgressCallback | None) -> Callable[[int], None] | None:
    """A waiting statement's place in line, as progress."""
    if on_progress is None:
        return None

    def report(place: int) -> None:
        ahead = place - 1
        stage = (
            "Waiting for the engine: next in line"
            if ahead == 0
            else f"Waiting for the engine: {ahead} statement{'s' if ahead > 1 else ''} ahead"
        )
        on_progress(Progress(stage=stage, done=0, total=0, position=place))

    return report


async def arun_for_user(
    user: Any,
    sql: str,
    *,
    engine_name: str | None = None,
    source_dialect: Dialect | None = None,
) -> StoredResult:
    """A statement a user runs directly (ad-hoc SQL, a template refresh): it waits at most
    VIZORCH_QUERY_MAX_WAIT_S for its turn (then `TooManyQueries` or `EngineBusy`, with a retry
    hint) and its result belongs to the user."""
    return await aexecute_query(
        sql, engine_name=engine_name, owner=user, source_dialect=source_dialect
    )


async def arun_adhoc_query(user: Any, sql: str, *, engine_name: str | None = None) -> StoredResult:
    """`/api/query`: ad-hoc SQL, for the roles that may write SQL."""
    await sync_to_async(access.check_can_run_sql)(user)
    engine_name = await sync_to_async(access.check_engine)(user, engine_name)
    return await arun_for_user(user, sql, engine_name=engine_name)


# How often a cancel is passed on again to an engine that has not taken its statement yet.
CANCEL_RETRY_S = 0.05


def cancel_query(tag: str, *, engine_name: str | None = None) -> bool:
    """Stop the statement running under `tag` on one engine (or on every engine), or take it out
    of the queue when it is still waiting for its turn. A statement granted its turn but not yet
    known to its engine is told as soon as the engine knows it, unless it ends first."""
    scheduler = scheduling.scheduler()
    queued = scheduler.cancel(tag)
    granted = scheduler.stop_running(tag)
    engines = [registry.get_engine(engine_name)] if engine_name else registry.all_engines()
    stopped = any([engine.cancel(tag) for engine in engines])
    if granted and not stopped:
        threading.Thread(
            target=_cancel_once_started, args=(tag, engines), name="cancel", daemon=True
        ).start()
    return stopped or queued or granted


def _cancel_once_started(tag: str, engines: list[Engine]) -> None:
    """Without this, a cancel that falls between the grant and the engine's own bookkeeping
    finds nothing, and the statement runs until its timeout with nobody waiting for it."""
    scheduler = scheduling.scheduler()
    while scheduler.is_running(tag):
        if any([engine.cancel(tag) for engine in engines]):
            return
        time.sleep(CANCEL_RETRY_S)

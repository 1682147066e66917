"""A small, bounded set of database threads ("lanes") that every long-lived async task of a
process shares: run workers, SSE streams. Without them each run (a `ThreadSensitiveContext`) and
each streaming request had a thread and a database connection of its own, so a burst of streams
opened as many connections as it had streams.

A lane is one thread (asgiref's thread-sensitive calls need one); `VIZORCH_DB_THREADS` of them
run a process's ORM work. `lane()` sends every thread-sensitive `sync_to_async` call of the
block to the least busy lane; `db()` runs one call there and hands its connection back (to the
PostgreSQL pool, or closed) afterwards, like Channels' `database_sync_to_async`."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import close_old_connections, reset_queries

P = ParamSpec("P")
T = TypeVar("T")


def db_threads() -> int:
    """Database threads of one process (each holds at most one connection at a time)."""
    value = getattr(settings, "VIZORCH_DB_THREADS", None) or os.environ.get("VIZORCH_DB_THREADS")
    return max(1, int(value or 4))


class Lanes:
    def __init__(self, size: int) -> None:
        self._executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"vizorch-db-{i}")
            for i in range(size)
        ]
        self._busy = [0] * size

    @contextlib.asynccontextmanager
    async def lane(self) -> AsyncIterator[None]:
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            token = _in_lane.set(True)
            try:
                async with ThreadSensitiveContext(executor=self._executors[index]):
                    yield
            finally:
                _in_lane.reset(token)
        finally:
            self._busy[index] -= 1


_lanes: Lanes | None = None
_in_lane: contextvars.ContextVar[bool] = contextvars.ContextVar("vizorch_db_lane", default=False)


def lanes() -> Lanes:
    global _lanes
    if _lanes is None:
        _lanes = Lanes(db_threads())
    return _lanes


def lane() -> contextlib.AbstractAsyncContextManager[None]:
    """Thread-sensitive calls inside this block run on one of the process's database lanes."""
    return lanes().lane()


def _closing(fn: Callable[P, T]) -> Callable[P, T]:
    after = released(fn)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        close_old_connections()
        # With DEBUG on, Django logs a connection's queries until a request starts: a run
        # worker serves no requests, and its lanes kept every run's SQL (~95 kB a run).
        reset_queries()
        return after(*args, **kwargs)

    return call


async def db(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the synchronous ORM function `fn` on a database lane (the caller's own when it is in
    a `lane()` block); its connection goes back to the pool afterwards."""
    call = sync_to_async(_closing(fn))
    if _in_lane.get():
        return await call(*args, **kwargs)
    async with lane():
        return await call(*args, **kwargs)


def released(fn: Callable[P, T]) -> Callable[P, T]:
    """`fn`, handing the calling thread's connection back once it returns: the last database
    step of a request that goes on to stream, in the same thread hop as the step itself."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return call

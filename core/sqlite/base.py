"""Django's SQLite backend with a process-wide queue for its one writer.

SQLite lets one connection write at a time. A connection that finds the file locked sleeps in
SQLite's busy handler and looks again, at growing intervals up to 100 ms, in no order: when many
threads of a process want to write at once (a burst of streams starting, each creating its run),
most of the wait is sleep after the lock is already free, and who writes next is luck. Here a
thread first takes the process's write lock for the file, so waiting writers wake the moment the
previous one commits, in turn; SQLite's own lock still guards the file against other processes
(a management command beside the server), which keep its busy handler.

Every write transaction takes it: the embedded defaults run transactions as `BEGIN IMMEDIATE`
(core/config.py), and writes outside one (autocommit) take it around their statement. Queries
are logged only when asked (core/query_log.py)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from core.query_log import OptInQueryLog

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

# Statements that write; reads run beside the writer (WAL).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def write_lock(name: str) -> threading.Lock:
    """The process's write lock for one database file."""
    with _locks_guard:
        lock = _locks.get(name)
        if lock is None:
            lock = _locks[name] = threading.Lock()
        return lock


# Django's stubs leave out the private hooks overridden here.
_SQLiteWrapper: Any = base.DatabaseWrapper


class DatabaseWrapper(OptInQueryLog, _SQLiteWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_write_lock = False

    def _busy_timeout_s(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def acquire_write_lock(self) -> None:
        if self._holds_write_lock or self.is_in_memory_db():
            return
        if not write_lock(self.settings_dict["NAME"]).acquire(timeout=self._busy_timeout_s()):
            raise OperationalError("database is locked")
        self._holds_write_lock = True

    def release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            write_lock(self.settings_dict["NAME"]).release()

    def _start_transaction_under_autocommit(self) -> None:
        self.acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.release_write_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self.release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self.release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self.release_write_lock()

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=WriteQueueCursor)
        cursor.wrapper = self
        return cursor


class WriteQueueCursor(base.SQLiteCursorWrapper):
    """Takes the write lock around a write that runs outside a transaction (autocommit)."""

    wrapper: DatabaseWrapper

    def execute(self, query: str, params: Any = None) -> Any:
        with self._write_turn(query):
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        with self._write_turn(query):
            return super().executemany(query, param_list)

    @contextlib.contextmanager
    def _write_turn(self, query: str) -> Iterator[None]:
        wrapper = self.wrapper
        if (
            not wrapper.get_autocommit()
            or wrapper.in_atomic_block
            or wrapper._holds_write_lock
            or not query.lstrip()[:7].upper().startswith(_WRITES)
        ):
            yield
            return
        wrapper.acquire_write_lock()
        try:
            yield
        finally:
            wrapper.release_write_lock()

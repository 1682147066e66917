"""The process that runs local DuckDB statements, one at a time, for `LocalDuckDBEngine`'s pool
(executors.engines.duckdb_pool). Parsing, binding and planning happen outside DuckDB's
`memory_limit`, so a runaway statement may grow without bound; in a process of its own it can be
killed without taking the web server down. Started as `python -m executors.engines.duckdb_worker
REQUEST_FD CONTROL_FD`; it imports DuckDB and pyarrow only, never Django.

Protocol (pickled dataclasses over two Unix sockets from the parent): the first message on the
request socket is a `WorkerConfig`, answered by a `Reply`; then each `RunRequest` or
`CatalogRequest` is answered by one `Reply`, followed by the Arrow IPC stream as raw bytes when
`Reply.inline` is set. The control socket carries request ids to interrupt."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from executors.engines import parquet_options
from executors.engines.base import TableInfo
from executors.engines.duckdb_schema import read_schema

# One DuckDB vector: small batches keep the bytes read past a limit small (a row may be a megabyte).
BATCH_ROWS = 2048
# Rows and bytes gathered before a Parquet row group is written (a column's dictionary is one
# row group's: a million rows of a repeating double take half the bytes of 64k-row groups).
ROW_GROUP_ROWS = parquet_options.ROW_GROUP_ROWS
ROW_GROUP_BYTES = parquet_options.ROW_GROUP_BYTES
# Text columns with at most this many distinct values get sample values in the catalog.
ORPHAN_CHECK_S = 1.0
# Fixed when the instance starts: no extension is ever installed or loaded on demand.
STARTUP_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    # A table name that is not in the file must not resolve to a Python object (a DataFrame or
    # Arrow table in a caller's frame), as DuckDB's Python client otherwise allows.
    "python_enable_replacements": False,
}


@dataclass(frozen=True)
class WorkerConfig:
    """The DuckDB file and the lock-down settings, applied in order after the attach."""

    path: str
    alias: str
    settings: tuple[tuple[str, str | bool | int], ...]


@dataclass(frozen=True)
class RunRequest:
    """One statement. At most `max_rows` rows and `max_bytes` of Arrow data are kept (a result
    cut by either is `truncated`); a result above `spill_bytes` is written as Parquet to
    `spill_path` rather than sent back inline."""

    id: int
    sql: str
    params: tuple[Any, ...] | None = None
    max_rows: int = 100_000
    max_bytes: int = 256 * 1024 * 1024
    spill_bytes: int = 16 * 1024 * 1024
    spill_path: str | None = None


@dataclass(frozen=True)
class CatalogRequest:
    id: int


@dataclass
class Reply:
    """`error` is "", "failed", "interrupted" or "unavailable"; `inline` says Arrow IPC bytes
    follow; `parquet_path` is set when the result was written as Parquet instead."""

    error: str = ""
    message: str = ""
    inline: bool = False
    parquet_path: str | None = None
    row_count: int = 0
    truncated: bool = False
    arrow_bytes: int = 0
    tables: list[TableInfo] = field(default_factory=list)


# --- the instance --------------------------------------------------------------------------------


def open_locked(config: WorkerConfig) -> duckdb.DuckDBPyConnection:
    """A private in-memory instance with the file attached read-only and the lock-down applied;
    `lock_configuration` comes last, after which nothing can loosen the other settings."""
    database = duckdb.connect(":memory:", config=dict(STARTUP_CONFIG))
    try:
        database.execute(f"ATTACH {quote_literal(config.path)} AS {config.alias} (READ_ONLY)")
        database.execute(f"USE {config.alias}")
        for name, value in config.settings:
            database.execute(f"SET {name} = {setting_literal(value)}")
    except BaseException:
        database.close()
        raise
    return database


class _Worker:
    def __init__(self, database: duckdb.DuckDBPyConnection, alias: str) -> None:
        self.database = database
        self.alias = alias
        self.lock = threading.Lock()
        self.current: tuple[int, duckdb.DuckDBPyConnection] | None = None

    def cursor(self, request_id: int) -> duckdb.DuckDBPyConnection:
        cursor = self.database.cursor()
        cursor.execute(f"USE {self.alias}")
        with self.lock:
            self.current = (request_id, cursor)
        return cursor

    def finished(self, cursor: duckdb.DuckDBPyConnection) -> None:
        with self.lock:
            self.current = None
        with contextlib.suppress(duckdb.Error):
            cursor.close()

    def interrupt(self, request_id: int) -> None:
        """Interrupt the statement of `request_id` if it is still the one running (a late
        interrupt must never stop the next statement)."""
        with self.lock:
            if self.current is not None and self.current[0] == request_id:
                self.current[1].interrupt()

    def handle(self, request: RunRequest | CatalogRequest) -> tuple[Reply, bytes | None]:
        cursor = self.cursor(request.id)
        try:
            if isinstance(request, CatalogRequest):
                return Reply(tables=read_catalog(cursor)), None
            return run_statement(cursor, request)
        except duckdb.InterruptException:
            return Reply(error="interrupted", message="interrupted"), None
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            # Errors raised while pyarrow reads DuckDB's stream arrive as OSError.
            if "interrupted" in str(exc).lower():
                return Reply(error="interrupted", message="interrupted"), None
            return Reply(error="failed", message=engine_message(exc)), None
        except MemoryError:
            return Reply(
                error="failed", message="the statement needed more memory than allowed"
            ), None
        finally:
            self.finished(cursor)


def run_statement(
    cursor: duckdb.DuckDBPyConnection, request: RunRequest
) -> tuple[Reply, bytes | None]:
    executed = (
        cursor.execute(request.sql, list(request.params))
        if request.params
        else cursor.execute(request.sql)
    )
    reader = executed.to_arrow_reader(BATCH_ROWS)
    collector = _Collector(request, reader.schema)
    try:
        for batch in reader:
            if not collector.add(batch):
                break
        return collector.finish()
    except BaseException:
        collector.abandon()
        raise


class _Collector:
    """Keeps batches within the row and byte limits; past `spill_bytes` it streams them to a
    Parquet file so the worker never holds more than a row group beyond the inline limit."""

    def __init__(self, request: RunRequest, schema: pa.Schema) -> None:
        self.request = request
        self.schema = schema
        self.batches: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.pending_bytes = 0
        self.rows = 0
        self.bytes = 0
        self.truncated = False
        self.writer: pq.ParquetWriter | None = None

    def add(self, batch: pa.RecordBatch) -> bool:
        """Keep what fits of `batch`; False once a limit cut the result (stop reading)."""
        if batch.num_rows == 0:
            return True
        if self.rows >= self.request.max_rows:
            self.truncated = True  # a row beyond the limit exists
            return False
        keep = min(batch.num_rows, self.request.max_rows - self.rows)
        if keep < batch.num_rows:
            self.truncated = True
            batch = batch.slice(0, keep)
        room = self.request.max_bytes - self.bytes
        if batch.nbytes > room:
            per_row = batch.nbytes / batch.num_rows
            batch = batch.slice(0, int(room // per_row))
            self.truncated = True
        if batch.num_rows:
            self._keep(batch)
        return not self.truncated

    def _keep(self, batch: pa.RecordBatch) -> None:
        size = batch.nbytes
        self.rows += batch.num_rows
        self.bytes += size
        self.batches.append(batch)
        self.pending_rows += batch.num_rows
        self.pending_bytes += size
        spill = self.request.spill_path is not None and self.bytes > self.request.spill_bytes
        if spill and self.writer is None:
            # The rows kept so far (more than spill_bytes of them) choose the encodings.
            sample = pa.Table.from_batches(self.batches, schema=self.schema)
            options = parquet_options.write_options(self.schema, sample)
            self.writer = pq.ParquetWriter(self.request.spill_path, self.schema, **options)
        if self.writer is not None and (
            self.pending_rows >= ROW_GROUP_ROWS or self.pending_bytes >= ROW_GROUP_BYTES
        ):
            self._flush()

    def _flush(self) -> None:
        assert self.writer is not None
        if self.batches:
            self.writer.write_table(pa.Table.from_batches(self.batches, schema=self.schema))
        self.batches = []
        self.pending_rows = self.pending_bytes = 0

    def finish(self) -> tuple[Reply, bytes | None]:
        reply = Reply(row_count=self.rows, truncated=self.truncated, arrow_bytes=self.bytes)
        if self.writer is not None:
            self._flush()
            self.writer.close()
            reply.parquet_path = self.request.spill_path
            return reply, None
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, self.schema) as stream:
            for batch in self.batches:
                stream.write_batch(batch)
        reply.inline = True
        return reply, sink.getvalue().to_pybytes()

    def abandon(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
            with contextlib.suppress(OSError):
                Path(str(self.request.spill_path)).unlink()


# --- the catalog ---------------------------------------------------------------------------------


def read_catalog(cursor: duckdb.DuckDBPyConnection) -> list[TableInfo]:
    """The database's schema, read as the remote engine reads it (executors/engines/duckdb_schema);
    row counts and values are the catalog profiler's work."""
    return read_schema(lambda sql: cursor.execute(sql).fetchall())


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def setting_literal(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return quote_literal(value)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def engine_message(exc: BaseException) -> str:
    """DuckDB's message without the echo of the (wrapped) statement, which would only confuse."""
    text = str(exc).strip()
    text = text.split("\nLINE ", 1)[0].strip()
    return text or type(exc).__name__


# --- the process ---------------------------------------------------------------------------------


def _interrupts(worker: _Worker, control: Connection) -> None:
    while True:
        try:
            request_id = control.recv()
        except (EOFError, OSError):
            os._exit(0)
        worker.interrupt(int(request_id))


def _exit_with_parent(parent: int) -> None:
    """The parent may die without closing our sockets (SIGKILL while we run a statement)."""
    while True:
        time.sleep(ORPHAN_CHECK_S)
        if os.getppid() != parent:
            os._exit(0)


def serve(requests: Connection, control: Connection, parent: int) -> None:
    config = requests.recv()
    assert isinstance(config, WorkerConfig)
    try:
        database = open_locked(config)
    except (duckdb.Error, OSError) as exc:
        requests.send(
            Reply(error="unavailable", message=f"Cannot open {config.path}: {first_line(exc)}")
        )
        return
    worker = _Worker(database, config.alias)
    threading.Thread(target=_interrupts, args=(worker, control), daemon=True).start()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    requests.send(Reply())
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        reply, payload = worker.handle(request)
        requests.send(reply)
        if payload is not None:
            requests.send_bytes(payload)


def main(argv: list[str]) -> None:
    request_fd, control_fd, parent = (int(arg) for arg in argv[1:4])
    serve(Connection(request_fd), Connection(control_fd), parent)


if __name__ == "__main__":
    # Run the module under its own name, so the classes it unpickles are the ones it checks.
    from executors.engines import duckdb_worker

    duckdb_worker.main(sys.argv)

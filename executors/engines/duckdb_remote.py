"""Remote DuckDB over DuckDB's Quack protocol: each statement is pushed whole to one of several
Quack servers with `quack_query(uri, sql, token := ...)` and its result streams back as Arrow.
Endpoints are used round-robin; an endpoint that cannot be reached is skipped for a while and the
statement moves on to the next one, while an error the server reports about the SQL is final."""

from __future__ import annotations

import contextlib
import importlib
import itertools
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from executors.engines.base import (
    Engine,
    EngineHealth,
    EngineResult,
    ProgressCallback,
    QueryLimits,
    TableInfo,
)
from executors.engines.duckdb_local import BATCH_ROWS
from executors.engines.duckdb_schema import read_schema
from executors.errors import EngineUnavailable, QueryCancelled, QueryFailed, QueryTimeout

CATALOG_LIMITS = QueryLimits(max_rows=1_000_000, timeout_s=60.0)

# Messages of the Quack client that mean "this endpoint is not answering", as opposed to an
# error the server reports about the statement (those arrive as "Invalid Input Error: ...").
_CONNECTION_MARKERS = (
    "Failed to send message",
    "Could not connect",
    "Connection refused",
    "HTTP Error",
    "Authentication failed",
)


def packaged_extension(name: str) -> Path:
    """The extension file shipped in the `duckdb-extension-<name>` wheel for this DuckDB release;
    LOADing it by path needs no download and no extension directory."""
    module = importlib.import_module(f"duckdb_extension_{name}")
    root = Path(next(iter(module.__path__)))
    path = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing: install duckdb-extension-{name}=={duckdb.__version__}"
        )
    return path


def load_quack(con: duckdb.DuckDBPyConnection) -> None:
    """Load Quack and httpfs from the wheels. Quack needs httpfs on both sides: its HTTP client on
    the client, its crypto module on the server (without it the server answers HTTP 500)."""
    for name in ("httpfs", "quack"):
        con.execute(f"LOAD '{packaged_extension(name)}'")


@dataclass
class _Endpoint:
    uri: str
    host: str
    port: int
    down_until: float = 0.0
    last_error: str = ""


@dataclass
class _Job:
    """One statement in flight under a tag; `wake` is set when its worker finishes or when it is
    cancelled, whichever comes first."""

    wake: threading.Event = field(default_factory=threading.Event)
    cursor: duckdb.DuckDBPyConnection | None = None
    stopped_by: str = ""  # "", "timeout" or "cancel"


class _EndpointDown(Exception):
    pass


class RemoteDuckDBEngine(Engine):
    kind = "duckdb_remote"
    dialect = "duckdb"

    def __init__(
        self,
        name: str,
        endpoints: list[str],
        token: str | None,
        *,
        connect_timeout_s: float = 5.0,
        health_interval_s: float = 10.0,
        disable_ssl: bool | None = None,
    ) -> None:
        """`endpoints` are `quack:host:port` URIs. `disable_ssl` None keeps Quack's default (plain
        HTTP for loopback hosts, HTTPS otherwise); True talks plain HTTP to a remote host."""
        super().__init__(name)
        if not endpoints:
            raise ValueError("RemoteDuckDBEngine needs at least one quack:host:port endpoint")
        self.token = token or None
        self.connect_timeout_s = connect_timeout_s
        self.health_interval_s = health_interval_s
        self.disable_ssl = disable_ssl
        self._lock = threading.Lock()
        self._database: duckdb.DuckDBPyConnection | None = None
        self._workers = 0
        self._jobs: dict[str, _Job] = {}
        self._endpoints = [self._parse(uri) for uri in endpoints]
        self._turn = itertools.count()

    # --- client database -----------------------------------------------------------------------

    def _client(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB that only runs `quack_query`; it reads no files of its own."""
        with self._lock:
            if self._database is None:
                database = duckdb.connect(
                    ":memory:",
                    config={
                        "autoinstall_known_extensions": False,
                        "autoload_known_extensions": False,
                        # Tokens are passed per call; no secret is ever read from disk.
                        "allow_persistent_secrets": False,
                        "threads": 2,
                        "memory_limit": "1GB",
                    },
                )
                load_quack(database)
                database.execute("SET enable_external_access = false")
                database.execute("SET lock_configuration = true")
                self._database = database
            return self._database

    def _parse(self, uri: str) -> _Endpoint:
        uri = uri.strip()
        try:
            with self._client().cursor() as cursor:
                row = cursor.execute(
                    "SELECT (p).host, (p).port FROM (SELECT quack_uri_parser(?, false) p)", [uri]
                ).fetchone()
        except duckdb.Error as exc:
            raise ValueError(f"Not a Quack endpoint: {uri!r} ({_message(exc)})") from exc
        if row is None:
            raise ValueError(f"Not a Quack endpoint: {uri!r}")
        return _Endpoint(uri=uri, host=str(row[0]), port=int(row[1]))

    def _query(self) -> tuple[str, list[object]]:
        options = ""
        params: list[object] = []
        if self.token is not None:
            options += ", token := ?"
            params.append(self.token)
        if self.disable_ssl is not None:
            options += ", disable_ssl := ?"
            params.append(self.disable_ssl)
        return f"FROM quack_query(?, ?{options})", params

    # --- endpoints -----------------------------------------------------------------------------

    @property
    def endpoints(self) -> list[str]:
        return [endpoint.uri for endpoint in self._endpoints]

    def _order(self) -> list[_Endpoint]:
        """Every endpoint once, starting at the next one in turn; endpoints that failed within
        the health interval go last, so they are only tried when nothing else answers."""
        start = next(self._turn) % len(self._endpoints)
        rotated = self._endpoints[start:] + self._endpoints[:start]
        now = time.monotonic()
        return [e for e in rotated if e.down_until <= now] + [
            e for e in rotated if e.down_until > now
        ]

    def _mark_down(self, endpoint: _Endpoint, reason: str) -> None:
        endpoint.down_until = time.monotonic() + self.health_interval_s
        endpoint.last_error = reason

    def _mark_up(self, endpoint: _Endpoint) -> None:
        endpoint.down_until = 0.0
        endpoint.last_error = ""

    def _reachable(self, endpoint: _Endpoint, timeout_s: float) -> str:
        """'' when a TCP connection opens within `timeout_s`, else why not. Quack's client does
        not follow DuckDB's `http_timeout`, so a silent host could otherwise hang the statement."""
        try:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s):
                return ""
        except OSError as exc:
            return f"cannot connect ({exc.strerror or exc})"

    # --- running statements --------------------------------------------------------------------

    def run(
        self,
        sql: str,
        *,
        limits: QueryLimits,
        tag: str,
        on_progress: ProgressCallback | None = None,
    ) -> EngineResult:
        job = _Job()
        with self._lock:
            self._jobs[tag] = job
        try:
            table = self._execute(sql, limits, job)
        finally:
            with self._lock:
                if self._jobs.get(tag) is job:
                    del self._jobs[tag]
        truncated = table.num_rows > limits.max_rows
        if truncated:
            table = table.slice(0, limits.max_rows)
        return EngineResult(
            table=table, row_count=table.num_rows, truncated=truncated, schema=table.schema
        )

    def _execute(self, sql: str, limits: QueryLimits, job: _Job) -> pa.Table:
        deadline = time.monotonic() + limits.timeout_s
        failures: list[str] = []
        for endpoint in self._order():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            reason = self._reachable(endpoint, min(self.connect_timeout_s, remaining))
            if not reason:
                try:
                    table = self._attempt(endpoint, sql, limits, job, deadline)
                except _EndpointDown as exc:
                    reason = str(exc)
                else:
                    self._mark_up(endpoint)
                    return table
            self._mark_down(endpoint, reason)
            failures.append(f"{endpoint.uri}: {reason}")
        if not failures:
            raise QueryTimeout(
                f"The query ran longer than the {limits.timeout_s:g}s limit and was stopped."
            )
        raise EngineUnavailable(
            f"No remote DuckDB endpoint of {self.name!r} answered ({'; '.join(failures)})."
        )

    def _attempt(
        self, endpoint: _Endpoint, sql: str, limits: QueryLimits, job: _Job, deadline: float
    ) -> pa.Table:
        """Run on one endpoint in a worker thread and wait for it, a cancel, or the deadline.
        Quack 1.5.5 has no remote cancel: an interrupt stops the stream on our side at once, but
        a statement still computing its first rows runs on at the server until it finishes."""
        if job.stopped_by:
            raise _stopped(job, limits)
        job.wake.clear()
        if job.stopped_by:
            raise _stopped(job, limits)
        outcome: Future[pa.Table] = Future()
        query, options = self._query()
        params = [endpoint.uri, sql, *options]
        database = self._client()
        with self._lock:
            cursor = database.cursor()
            self._workers += 1
        job.cursor = cursor
        worker = threading.Thread(
            target=self._work,
            args=(cursor, query, params, limits.max_rows + 1, outcome, job.wake),
            name=f"quack-{self.name}",
            daemon=True,
        )
        worker.start()
        job.wake.wait(timeout=max(0.0, deadline - time.monotonic()))
        if not outcome.done() or job.stopped_by:
            job.stopped_by = job.stopped_by or "timeout"
            with contextlib.suppress(duckdb.Error):
                cursor.interrupt()
            raise _stopped(job, limits)
        exc = outcome.exception()
        if exc is None:
            return outcome.result()
        # Errors met while streaming come through pyarrow's reader as OSError, not duckdb.Error.
        if not isinstance(exc, duckdb.Error | OSError | pa.ArrowException):
            raise exc
        if _is_connection_failure(exc):
            raise _EndpointDown(_message(exc)) from exc
        raise QueryFailed(_message(exc)) from exc

    def _work(
        self,
        cursor: duckdb.DuckDBPyConnection,
        query: str,
        params: list[object],
        max_rows: int,
        outcome: Future[pa.Table],
        wake: threading.Event,
    ) -> None:
        try:
            reader = cursor.execute(query, params).to_arrow_reader(BATCH_ROWS)
            batches: list[pa.RecordBatch] = []
            rows = 0
            for batch in reader:
                batches.append(batch)
                rows += batch.num_rows
                if rows >= max_rows:
                    break
            outcome.set_result(pa.Table.from_batches(batches, schema=reader.schema))
        except BaseException as exc:  # handed to the waiting caller, never lost
            outcome.set_exception(exc)
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.close()
            with self._lock:
                self._workers -= 1
            wake.set()

    def cancel(self, tag: str) -> bool:
        with self._lock:
            job = self._jobs.get(tag)
        if job is None:
            return False
        job.stopped_by = "cancel"
        if job.cursor is not None:
            with contextlib.suppress(duckdb.Error):
                job.cursor.interrupt()
        job.wake.set()
        return True

    # --- health and catalog --------------------------------------------------------------------

    def health(self) -> EngineHealth:
        """Probe every endpoint with `SELECT 1`; healthy while at least one answers."""
        limits = QueryLimits(max_rows=1, timeout_s=self.connect_timeout_s)
        notes = []
        up = 0
        for endpoint in self._endpoints:
            deadline = time.monotonic() + self.connect_timeout_s
            reason = self._reachable(endpoint, self.connect_timeout_s)
            if not reason:
                try:
                    self._attempt(endpoint, "SELECT 1", limits, _Job(), deadline)
                except _EndpointDown as exc:
                    reason = str(exc)
                except (QueryFailed, QueryTimeout) as exc:
                    reason = exc.message
            if reason:
                self._mark_down(endpoint, reason)
                notes.append(f"{endpoint.uri} down: {reason}")
            else:
                self._mark_up(endpoint)
                up += 1
        summary = f"{up}/{len(self._endpoints)} Quack endpoints up"
        return EngineHealth(ok=up > 0, detail="; ".join([summary, *notes]))

    def catalog(self) -> list[TableInfo]:
        """The schema as the server sees it, read like the local engine's."""
        return read_schema(self._rows)

    def _rows(self, sql: str) -> list[tuple]:
        job = _Job()
        table = self._execute(sql, CATALOG_LIMITS, job)
        return [tuple(row.values()) for row in table.to_pylist()]

    def close(self) -> None:
        """Close the client database; while an abandoned worker still streams from it, only let
        go of it (DuckDB frees it when that worker's cursor closes)."""
        with self._lock:
            if self._database is not None and self._workers == 0:
                with contextlib.suppress(duckdb.Error):
                    self._database.close()
            self._database = None


def _stopped(job: _Job, limits: QueryLimits) -> Exception:
    if job.stopped_by == "cancel":
        return QueryCancelled("The query was cancelled.")
    return QueryTimeout(
        f"The query ran longer than the {limits.timeout_s:g}s limit and was stopped."
    )


def _is_connection_failure(exc: BaseException) -> bool:
    text = str(exc)
    if isinstance(exc, duckdb.InterruptException) or "INTERRUPT Error" in text:
        return False
    return any(marker in text for marker in _CONNECTION_MARKERS)


def _message(exc: BaseException) -> str:
    """The server's message without the wrapper's echo (`LINE 1: FROM quack_query(...)`) and the
    generic "Invalid Input Error" prefix every remote error arrives under."""
    text = str(exc).strip().split("\nLINE ", 1)[0].strip()
    text = text.removeprefix("Invalid Input Error: ")
    # Text of the Quack client's HTTP failures, e.g. "IO Error: Failed to send message: IO Error:
    # Failure when receiving data from the peer error for HTTP POST to 'http://h:p/quack'".
    text = text.removeprefix("IO Error: Failed to send message: ")
    return text or type(exc).__name__

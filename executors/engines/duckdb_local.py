"""The embedded default engine: a DuckDB file opened read-only and locked down before any query
(no file or network access, configuration locked, memory, thread and temp-space limits). Every
statement runs in a small pool of worker processes (executors.engines.duckdb_pool) whose memory
and time are watched from here, so a runaway statement kills its worker, never the web server."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from executors.engines.duckdb_pool import (
    Stopped,
    WorkerPool,
    acquire_pool,
    next_request_id,
    release_pool,
)
from executors.engines.duckdb_worker import (
    STARTUP_CONFIG,
    CatalogRequest,
    Reply,
    RunRequest,
    WorkerConfig,
    read_catalog,
)
from executors.errors import EngineUnavailable, QueryCancelled, QueryFailed, QueryTimeout

__all__ = [
    "BATCH_ROWS",
    "STARTUP_CONFIG",
    "LocalDuckDBEngine",
    "parse_size",
    "read_catalog",
]

# Rows per Arrow batch when other engines stream results (the remote engine reads Quack's stream).
BATCH_ROWS = 64_000
RESERVED_NAMES = frozenset({"memory", "system", "temp", "main", "information_schema", "pg_catalog"})
CATALOG_TIMEOUT_S = 60.0
HEALTH_TIMEOUT_S = 5.0
_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip


def parse_size(text: str | int) -> int:
    """Bytes in `1GB`, `512MB`, `1.5GiB` (DuckDB's units: KB, MB and GB are powers of 1000)."""
    if isinstance(text, int):
        return text
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number) :] or "b"
    if unit not in _UNITS or not number:
        raise ValueError(f"not a size: {text!r} (use e.g. 512MB or 2GB)")
    return int(float(number) * _UNITS[unit])


@dataclass
class _Running:
    stopped_by: str = ""  # "", "timeout" or "cancel"
    done: bool = False


class LocalDuckDBEngine(Engine):
    kind = "duckdb_local"
    dialect = "duckdb"

    def __init__(
        self,
        name: str,
        path: Path | str,
        *,
        memory_limit: str = "1GB",
        threads: int = 2,
        max_temp_directory_size: str = "2GB",
        temp_directory: Path | str | None = None,
        pool_size: int = 2,
        worker_memory: str | int = "2GB",
        spill_directory: Path | str | None = None,
        spill_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        """`pool_size` worker processes, each its own DuckDB instance under `memory_limit` and
        killed beyond `worker_memory` resident; results above `spill_bytes` of Arrow data are
        written as Parquet into `spill_directory` (the result store's) by the worker itself."""
        super().__init__(name)
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.threads = threads
        self.max_temp_directory_size = max_temp_directory_size
        self.temp_directory = Path(temp_directory) if temp_directory else None
        self.pool_size = pool_size
        self.max_concurrency = pool_size
        self.worker_memory = parse_size(worker_memory)
        self.spill_directory = Path(spill_directory) if spill_directory else None
        self.spill_bytes = spill_bytes
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        # The name the attached file goes by: its stem, as `duckdb.connect(path)` would name it.
        stem = self.path.stem
        self.alias = stem if stem.isidentifier() and stem.lower() not in RESERVED_NAMES else "data"
        # Held from the start (no process runs before the first statement), so an engine built
        # to replace an equal one takes over its workers.
        self._pool: WorkerPool | None = acquire_pool(
            self._config(), size=self.pool_size, memory_limit=self.worker_memory
        )

    # --- the workers -------------------------------------------------------------------------

    def lockdown(self) -> list[tuple[str, str | bool | int]]:
        """The settings every worker's instance runs under, applied in this order once the file
        is attached; `lock_configuration` comes last, after which nothing (not even a SET that
        slipped past the guard) can loosen the others."""
        settings: list[tuple[str, str | bool | int]] = [
            ("memory_limit", self.memory_limit),
            ("threads", self.threads),
            ("max_temp_directory_size", self.max_temp_directory_size),
        ]
        if self.temp_directory is not None:
            self.temp_directory.mkdir(parents=True, exist_ok=True)
            settings.append(("temp_directory", str(self.temp_directory)))
        settings += [("enable_external_access", False), ("lock_configuration", True)]
        return settings

    def _config(self) -> WorkerConfig:
        return WorkerConfig(path=str(self.path), alias=self.alias, settings=tuple(self.lockdown()))

    def pool(self) -> WorkerPool:
        if not self.path.exists():
            raise EngineUnavailable(
                f"The DuckDB file {self.path} does not exist; run `manage.py seed_demo`."
            )
        with self._lock:
            if self._pool is None:
                self._pool = acquire_pool(
                    self._config(), size=self.pool_size, memory_limit=self.worker_memory
                )
            return self._pool

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for tests and benchmarks)."""
        with self._lock:
            pool = self._pool
        return pool.pids() if pool is not None else []

    # --- the engine interface ----------------------------------------------------------------

    def run(
        self,
        sql: str,
        *,
        limits: QueryLimits,
        tag: str,
        on_progress: ProgressCallback | None = None,
    ) -> EngineResult:
        return self._run(sql, None, limits=limits, tag=tag)

    def run_internal(
        self, sql: str, *, limits: QueryLimits, tag: str | None = None
    ) -> EngineResult:
        """Catalog and profiling statements: the same workers and limits as user statements."""
        return self._run(sql, None, limits=limits, tag=tag or f"internal-{uuid.uuid4().hex}")

    def _run(
        self, sql: str, params: list[Any] | None, *, limits: QueryLimits, tag: str
    ) -> EngineResult:
        spill_path = None
        if self.spill_directory is not None:
            self.spill_directory.mkdir(parents=True, exist_ok=True)
            spill_path = str(self.spill_directory / f".worker-{uuid.uuid4().hex}.parquet")
        request = RunRequest(
            id=next_request_id(),
            sql=sql,
            params=tuple(params) if params else None,
            max_rows=limits.max_rows,
            max_bytes=limits.max_bytes,
            spill_bytes=self.spill_bytes,
            spill_path=spill_path,
        )
        reply, payload = self._call(request, limits=limits, tag=tag)
        if reply.parquet_path is not None:
            return EngineResult(
                parquet_path=Path(reply.parquet_path),
                row_count=reply.row_count,
                truncated=reply.truncated,
                arrow_bytes=reply.arrow_bytes,
            )
        assert payload is not None
        table = pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
        return EngineResult(
            table=table,
            row_count=table.num_rows,
            truncated=reply.truncated,
            schema=table.schema,
            arrow_bytes=reply.arrow_bytes,
        )

    def _call(
        self, request: RunRequest | CatalogRequest, *, limits: QueryLimits, tag: str
    ) -> tuple[Reply, bytes | None]:
        pool = self.pool()
        running = _Running()
        with self._lock:
            self._running[tag] = running
        try:
            reply, payload = pool.call(
                request,
                timeout_s=limits.timeout_s,
                wait_s=limits.timeout_s,
                stop=lambda: running.stopped_by,
            )
        except Stopped as exc:
            raise self._stopped_error(exc.reason, limits) from exc
        except QueryTimeout as exc:
            raise QueryTimeout(f"Engine {self.name!r} is busy: {exc.message}") from exc
        finally:
            running.done = True
            with self._lock:
                if self._running.get(tag) is running:
                    self._running.pop(tag, None)
        if reply.error == "interrupted":
            raise self._stopped_error(running.stopped_by or "timeout", limits)
        if reply.error == "unavailable":
            raise EngineUnavailable(reply.message)
        if reply.error:
            raise QueryFailed(reply.message)
        return reply, payload

    def _stopped_error(self, reason: str, limits: QueryLimits) -> Exception:
        if reason == "cancel":
            return QueryCancelled("The query was cancelled.")
        return QueryTimeout(
            f"The query ran longer than the {limits.timeout_s:g}s limit and was stopped."
        )

    def cancel(self, tag: str) -> bool:
        with self._lock:
            running = self._running.get(tag)
        if running is None or running.done:
            return False
        # The waiting caller interrupts its worker, and kills it when the interrupt is not
        # honoured within the grace period.
        running.stopped_by = "cancel"
        return True

    def health(self) -> EngineHealth:
        """Never waits for statements or for a worker to start: it pings an idle worker when
        there is one, and otherwise reports the engine up (busy, or workers starting)."""
        try:
            pool = self.pool()
        except EngineUnavailable as exc:
            return EngineHealth(ok=False, detail=exc.message)
        try:
            with pool.worker(wait_s=None, start=False) as worker:
                reply, _ = worker.call(
                    RunRequest(id=next_request_id(), sql="SELECT 1", max_rows=1),
                    deadline=_deadline(HEALTH_TIMEOUT_S),
                    memory_limit=pool.memory_limit,
                    stop=lambda: "",
                )
        except QueryTimeout:
            pool.warm()
            state = "all workers busy" if pool.busy() >= pool.size else "workers starting"
            return EngineHealth(ok=True, detail=f"{self.path.name}: {state}")
        except (EngineUnavailable, QueryFailed, Stopped) as exc:
            return EngineHealth(ok=False, detail=str(getattr(exc, "message", exc)))
        if reply.error:
            return EngineHealth(ok=False, detail=reply.message)
        return EngineHealth(ok=True, detail=f"duckdb {duckdb.__version__}, {self.path.name}")

    def catalog(self) -> list[TableInfo]:
        reply, _ = self._call(
            CatalogRequest(id=next_request_id()),
            limits=QueryLimits(timeout_s=CATALOG_TIMEOUT_S),
            tag=f"catalog-{uuid.uuid4().hex}",
        )
        return reply.tables

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            release_pool(pool)

    def setting(self, name: str) -> str:
        """The current value of a DuckDB setting in a worker (for checks and tests)."""
        result = self._run(
            "SELECT value FROM duckdb_settings() WHERE name = ?",
            [name],
            limits=QueryLimits(timeout_s=10.0),
            tag=f"setting-{uuid.uuid4().hex}",
        )
        rows = result.table.to_pylist() if result.table is not None else []
        return str(rows[0]["value"]) if rows else ""


def _deadline(seconds: float) -> float:
    return time.monotonic() + seconds

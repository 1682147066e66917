"""The one interface every data engine implements. Engines are synchronous and thread-safe; async
callers hand them to a worker thread so a query never blocks the event loop."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

Dialect = Literal["duckdb", "spark"]
EngineKind = Literal["duckdb_local", "duckdb_remote", "spark"]


@dataclass(frozen=True)
class QueryLimits:
    """Bounds for one statement. `max_rows` is what the caller keeps; engines fetch one more row
    so truncation can be reported honestly. `max_bytes` bounds the result's Arrow data: rows
    beyond it are cut and the result is reported as truncated."""

    max_rows: int = 100_000
    timeout_s: float = 30.0
    max_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class Progress:
    """A snapshot of a long job: `done` of `total` units (tasks) in `stage`; `position` is its
    place in line while the statement waits for its turn (1 = next)."""

    stage: str
    done: int
    total: int
    position: int | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass
class EngineResult:
    """What an engine hands back: an Arrow table in memory, or a Parquet file it wrote itself
    (large Spark and local DuckDB results). Exactly one of `table` and `parquet_path` is set.
    `arrow_bytes` is the size of the data in Arrow, when the engine measured it."""

    table: pa.Table | None = None
    parquet_path: Path | None = None
    row_count: int = 0
    truncated: bool = False
    schema: pa.Schema | None = None
    arrow_bytes: int | None = None


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    description: str = ""
    sample_values: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ForeignKey:
    """`column` of this table references `ref_table.ref_column`; `declared` is False when it was
    inferred from a `*_id` name rather than read from a constraint."""

    column: str
    ref_table: str
    ref_column: str
    declared: bool = True


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: list[ColumnInfo]
    row_count: int | None = None
    description: str = ""
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)


@dataclass(frozen=True)
class EngineHealth:
    ok: bool
    detail: str = ""


class Engine(abc.ABC):
    """A named, configured data engine."""

    kind: EngineKind
    dialect: Dialect
    # Statements the engine can run at once by its own make (a pool of worker processes), or None;
    # the scheduler never lets more than this through.
    max_concurrency: int | None = None

    def __init__(self, name: str) -> None:
        self.name = name

    @abc.abstractmethod
    def catalog(self) -> list[TableInfo]:
        """The schema the engine exposes: tables, columns, types, comments and declared keys.
        Reads no data (row counts and values are the catalog profiler's work, through `run`)."""

    @abc.abstractmethod
    def run(
        self,
        sql: str,
        *,
        limits: QueryLimits,
        tag: str,
        on_progress: ProgressCallback | None = None,
    ) -> EngineResult:
        """Execute one statement that has already passed the SQL guard."""

    def run_internal(
        self, sql: str, *, limits: QueryLimits, tag: str | None = None
    ) -> EngineResult:
        """Run one of Vizorch's own statements (catalog reads, profiling) under the same limits
        and through the same resources as user statements; it does not pass the SQL guard."""
        return self.run(sql, limits=limits, tag=tag or f"internal-{uuid.uuid4().hex}")

    @abc.abstractmethod
    def cancel(self, tag: str) -> bool:
        """Stop the statement running under `tag`; True when something was interrupted."""

    @abc.abstractmethod
    def health(self) -> EngineHealth:
        """A cheap liveness probe for `/api/health`."""

    def close(self) -> None:  # noqa: B027 - optional hook, most engines hold nothing
        """Release pooled connections (tests and shutdown)."""

"""The embedded default engine: a DuckDB file opened read-only and locked down before any query
(no file or network access, configuration locked, memory, thread and temp-space limits), with a
small pool of connections and a statement timeout: a watchdog that calls `interrupt()`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from executors.engines.base import (
    ColumnInfo,
    Engine,
    EngineHealth,
    EngineResult,
    ForeignKey,
    ProgressCallback,
    QueryLimits,
    TableInfo,
)
from executors.errors import EngineUnavailable, QueryCancelled, QueryFailed, QueryTimeout

BATCH_ROWS = 64_000
# Text columns with at most this many distinct values get sample values in the catalog.
SAMPLE_MAX_DISTINCT = 25
SAMPLE_VALUES = 10
WATCHDOG_REPEAT_S = 0.25
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
RESERVED_NAMES = frozenset({"memory", "system", "temp", "main", "information_schema", "pg_catalog"})


@dataclass
class _Running:
    cursor: duckdb.DuckDBPyConnection
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
        pool_size: int = 4,
    ) -> None:
        super().__init__(name)
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.threads = threads
        self.max_temp_directory_size = max_temp_directory_size
        self.temp_directory = Path(temp_directory) if temp_directory else None
        self.pool_size = pool_size
        self._database: duckdb.DuckDBPyConnection | None = None
        self._idle: list[duckdb.DuckDBPyConnection] = []
        self._slots = threading.BoundedSemaphore(pool_size)
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        # The name the attached file goes by: its stem, as `duckdb.connect(path)` would name it.
        stem = self.path.stem
        self.alias = stem if stem.isidentifier() and stem.lower() not in RESERVED_NAMES else "data"

    # --- connections -------------------------------------------------------------------------

    def lockdown(self) -> list[tuple[str, str | bool | int]]:
        """The settings every connection runs under, applied in this order once the file is
        attached; `lock_configuration` comes last, after which nothing (not even a SET that
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

    def _open(self) -> duckdb.DuckDBPyConnection:
        """A private DuckDB instance with the file attached read-only. Private, rather than
        `duckdb.connect(path)`, because DuckDB shares one instance per path in a process and
        refuses a second configuration for it: two engines on one file must not collide."""
        with self._lock:
            if self._database is None:
                if not self.path.exists():
                    raise EngineUnavailable(
                        f"The DuckDB file {self.path} does not exist; run `manage.py seed_demo`."
                    )
                try:
                    self._database = self._locked_instance()
                except duckdb.Error as exc:
                    raise EngineUnavailable(f"Cannot open {self.path}: {_first_line(exc)}") from exc
            return self._database

    def _locked_instance(self) -> duckdb.DuckDBPyConnection:
        database = duckdb.connect(":memory:", config=dict(STARTUP_CONFIG))
        try:
            database.execute(f"ATTACH {_quote_literal(str(self.path))} AS {self.alias} (READ_ONLY)")
            database.execute(f"USE {self.alias}")
            for name, value in self.lockdown():
                database.execute(f"SET {name} = {_setting_literal(value)}")
        except BaseException:
            database.close()
            raise
        return database

    def _new_cursor(self, database: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        cursor = database.cursor()
        cursor.execute(f"USE {self.alias}")
        return cursor

    @contextlib.contextmanager
    def _connection(self, wait_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
        """One pooled connection; a connection that saw an error or an interrupt is dropped."""
        database = self._open()
        if not self._slots.acquire(timeout=wait_s):
            raise QueryTimeout(
                f"Engine {self.name!r} is busy: no free connection within {wait_s:g}s."
            )
        healthy = False
        try:
            with self._lock:
                cursor = self._idle.pop() if self._idle else self._new_cursor(database)
            yield cursor
            healthy = True
        finally:
            if healthy:
                with self._lock:
                    self._idle.append(cursor)
            else:
                with contextlib.suppress(duckdb.Error):
                    cursor.close()
            self._slots.release()

    # --- the engine interface ----------------------------------------------------------------

    def run(
        self,
        sql: str,
        *,
        limits: QueryLimits,
        tag: str,
        on_progress: ProgressCallback | None = None,
    ) -> EngineResult:
        with self._connection(limits.timeout_s) as cursor:
            running = _Running(cursor)
            with self._lock:
                self._running[tag] = running
            watchdog = threading.Timer(limits.timeout_s, self._expire, args=(running,))
            watchdog.daemon = True
            watchdog.start()
            try:
                table = self._fetch(cursor, sql, limits.max_rows + 1)
            except duckdb.InterruptException as exc:
                raise self._stopped_error(running, limits) from exc
            except (duckdb.Error, OSError) as exc:
                # Errors raised while pyarrow reads the stream arrive as OSError, not duckdb.Error.
                if running.stopped_by:
                    raise self._stopped_error(running, limits) from exc
                raise QueryFailed(_engine_message(exc)) from exc
            finally:
                running.done = True
                watchdog.cancel()
                with self._lock:
                    self._running.pop(tag, None)
            if running.stopped_by:
                # The interrupt landed after the last batch: honour it rather than race it.
                raise self._stopped_error(running, limits)
        truncated = table.num_rows > limits.max_rows
        if truncated:
            table = table.slice(0, limits.max_rows)
        return EngineResult(
            table=table, row_count=table.num_rows, truncated=truncated, schema=table.schema
        )

    def _fetch(self, cursor: duckdb.DuckDBPyConnection, sql: str, max_rows: int) -> pa.Table:
        reader = cursor.execute(sql).to_arrow_reader(BATCH_ROWS)
        batches: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            if rows >= max_rows:
                break
        return pa.Table.from_batches(batches, schema=reader.schema)

    def _expire(self, running: _Running) -> None:
        if running.done:
            return
        running.stopped_by = running.stopped_by or "timeout"
        running.cursor.interrupt()
        # An interrupt that lands between two pipeline steps can be missed: repeat until done.
        again = threading.Timer(WATCHDOG_REPEAT_S, self._expire, args=(running,))
        again.daemon = True
        again.start()

    def _stopped_error(self, running: _Running, limits: QueryLimits) -> Exception:
        if running.stopped_by == "cancel":
            return QueryCancelled("The query was cancelled.")
        return QueryTimeout(
            f"The query ran longer than the {limits.timeout_s:g}s limit and was stopped."
        )

    def cancel(self, tag: str) -> bool:
        with self._lock:
            running = self._running.get(tag)
        if running is None or running.done:
            return False
        running.stopped_by = "cancel"
        # Same path as a timeout: an interrupt that arrives before the statement starts (or
        # between two pipeline steps) is lost, so keep interrupting until the run is done.
        self._expire(running)
        return True

    def health(self) -> EngineHealth:
        """`SELECT 1` on a cursor of its own, outside the pool: the probe never waits for a
        connection that user statements hold."""
        try:
            with self._open().cursor() as cursor:
                cursor.execute(f"USE {self.alias}")
                cursor.execute("SELECT 1").fetchall()
        except EngineUnavailable as exc:
            return EngineHealth(ok=False, detail=exc.message)
        except duckdb.Error as exc:
            return EngineHealth(ok=False, detail=_first_line(exc))
        return EngineHealth(ok=True, detail=f"duckdb {duckdb.__version__}, {self.path.name}")

    def catalog(self) -> list[TableInfo]:
        with self._connection(wait_s=30.0) as cursor:
            return read_catalog(cursor)

    def close(self) -> None:
        with self._lock:
            for cursor in self._idle:
                with contextlib.suppress(duckdb.Error):
                    cursor.close()
            self._idle.clear()
            if self._database is not None:
                with contextlib.suppress(duckdb.Error):
                    self._database.close()
                self._database = None

    def setting(self, name: str) -> str:
        """The current value of a DuckDB setting on a pooled connection (for checks and tests)."""
        with self._connection(wait_s=5.0) as cursor:
            row = cursor.execute(
                "SELECT value FROM duckdb_settings() WHERE name = ?", [name]
            ).fetchone()
        return "" if row is None else str(row[0])


def read_catalog(cursor: duckdb.DuckDBPyConnection) -> list[TableInfo]:
    """Tables of every user schema with comments, exact row counts, declared keys and sample values
    of low-cardinality text columns. Tables outside `main` are named `schema.table`."""
    tables = cursor.execute(
        """
        SELECT schema_name, table_name, coalesce(comment, '')
        FROM duckdb_tables()
        WHERE NOT internal AND NOT temporary AND database_name = current_database()
        ORDER BY schema_name <> 'main', schema_name, table_name
        """
    ).fetchall()
    columns = cursor.execute(
        """
        SELECT schema_name, table_name, column_name, data_type, coalesce(comment, '')
        FROM duckdb_columns()
        WHERE NOT internal AND database_name = current_database()
        ORDER BY schema_name, table_name, column_index
        """
    ).fetchall()
    constraints = cursor.execute(
        """
        SELECT schema_name, table_name, constraint_type, constraint_column_names,
               referenced_table, referenced_column_names
        FROM duckdb_constraints()
        WHERE database_name = current_database()
          AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
        """
    ).fetchall()
    result = []
    for schema, table, comment in tables:
        ref = _ref(schema, table)
        table_columns = [c for c in columns if c[0] == schema and c[1] == table]
        count_row = cursor.execute(f"SELECT count(*) FROM {ref}").fetchone()
        row_count = int(count_row[0]) if count_row else 0
        primary_key: list[str] = []
        foreign_keys: list[ForeignKey] = []
        for c_schema, c_table, kind, names, ref_table, ref_names in constraints:
            if (c_schema, c_table) != (schema, table):
                continue
            if kind == "PRIMARY KEY":
                primary_key = list(names)
            else:
                foreign_keys.extend(
                    ForeignKey(column, _name(c_schema, ref_table), ref_column)
                    for column, ref_column in zip(names, ref_names, strict=False)
                )
        infos = [
            ColumnInfo(
                name=name,
                type=data_type,
                description=column_comment,
                sample_values=(
                    _samples(cursor, ref, name) if data_type == "VARCHAR" and row_count else []
                ),
            )
            for _s, _t, name, data_type, column_comment in table_columns
        ]
        result.append(
            TableInfo(
                name=_name(schema, table),
                columns=infos,
                row_count=row_count,
                description=comment,
                primary_key=primary_key,
                foreign_keys=foreign_keys,
            )
        )
    return result


def _samples(cursor: duckdb.DuckDBPyConnection, ref: str, column: str) -> list[str]:
    quoted = _quote_ident(column)
    row = cursor.execute(f"SELECT approx_count_distinct({quoted}) FROM {ref}").fetchone()
    if row is None or row[0] is None or row[0] > SAMPLE_MAX_DISTINCT:
        return []
    values = cursor.execute(
        f"SELECT {quoted} FROM {ref} WHERE {quoted} IS NOT NULL "
        f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT {SAMPLE_VALUES}"
    ).fetchall()
    return [str(value[0]) for value in values]


def _name(schema: str, table: str) -> str:
    return table if schema == "main" else f"{schema}.{table}"


def _ref(schema: str, table: str) -> str:
    return f"{_quote_ident(schema)}.{_quote_ident(table)}"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _setting_literal(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _quote_literal(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _engine_message(exc: Exception) -> str:
    """DuckDB's message without the echo of the (wrapped) statement, which would only confuse."""
    text = str(exc).strip()
    text = text.split("\nLINE ", 1)[0].strip()
    return text or type(exc).__name__

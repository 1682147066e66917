"""Profiles one engine into a SemanticCatalog: its schema from `engine.catalog()`, then a few
aggregate statements per table through the engine's own `run` (no SQL guard: the statements are
ours, and they run under the same limits as user statements). Large tables are sampled, the whole
profile is bounded in time, and what was cut short is said in `notes`. Pure: it writes nothing."""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from executors.catalog import naming, relationships, roles
from executors.catalog.model import Relationship, SemanticCatalog, SemanticColumn, SemanticTable
from executors.catalog.roles import TypeFamily
from executors.engines.base import Engine, Progress, QueryLimits, TableInfo
from executors.errors import EngineUnavailable, ExecutorError

# Tables with more rows are profiled from a sample of this many rows.
SAMPLE_ROWS = 1_000_000
BUDGET_S = 120.0
# Columns with at most this many distinct values keep every value (most frequent first).
LOW_CARDINALITY = 50
FREQUENT_VALUES = 10
EXAMPLE_VALUES = 5
EXAMPLE_CHARS = 80
HEAD_ROWS = 200
VALUE_CHECKS = 200
COLUMNS_PER_STATEMENT = 40
TABLES_PER_STATEMENT = 50

ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class ProfileOptions:
    sample_rows: int = SAMPLE_ROWS
    budget_s: float = BUDGET_S
    limits: QueryLimits = field(default_factory=QueryLimits)


def schema_fingerprint(tables: Sequence[TableInfo]) -> str:
    """A hash of table names, column names and types (not comments, not data)."""
    digest = hashlib.sha256()
    for table in sorted(tables, key=lambda t: t.name):
        digest.update(table.name.encode() + b"\0")
        for column in table.columns:
            digest.update(f"{column.name}\0{column.type}\0".encode())
        digest.update(b"\1")
    return digest.hexdigest()[:16]


def profile_engine(
    engine: Engine,
    *,
    options: ProfileOptions | None = None,
    on_progress: ProgressCallback | None = None,
    tables: Sequence[TableInfo] | None = None,
) -> SemanticCatalog:
    """The profiled catalog of `engine` (no curation). `tables` is the engine's schema when the
    caller already read it. Raises `EngineUnavailable` when the engine cannot be read at all; a
    statement that fails on one table only leaves that table's statistics empty, with a note."""
    options = options or ProfileOptions()
    infos = list(tables) if tables is not None else engine.catalog()
    run = _Runner(engine, options)
    notes: list[str] = []
    counts = run.row_counts(infos, notes)
    profiles: list[_TableProfile] = []
    for index, info in enumerate(infos):
        if on_progress is not None:
            on_progress(Progress(stage=info.name, done=index, total=len(infos)))
        profile = _TableProfile.of(info, counts.get(info.name))
        if run.out_of_time():
            profile.skipped = True
        else:
            run.profile_table(profile, notes)
        profiles.append(profile)
    skipped = [p.info.name for p in profiles if p.skipped]
    if skipped:
        notes.append(
            f"The profile stopped at its {options.budget_s:g}s budget: no statistics for "
            f"{', '.join(skipped)}."
        )
    found = _relationships(profiles, run, notes)
    if on_progress is not None:
        on_progress(Progress(stage="relationships", done=len(infos), total=len(infos)))
    referencing = {(r.from_table, r.from_column) for r in found}
    return SemanticCatalog(
        engine=engine.name,
        dialect=engine.dialect,
        tables=[p.semantic(referencing) for p in profiles],
        relationships=found,
        schema_fingerprint=schema_fingerprint(infos),
        profiled_at=datetime.now(UTC).isoformat(timespec="seconds"),
        notes=notes,
    )


# --- what one table's profile holds -------------------------------------------------------------


@dataclass
class _ColumnProfile:
    name: str
    type: str
    family: TypeFamily
    description: str = ""
    non_null: int | None = None
    distinct: int | None = None
    min: str | None = None
    max: str | None = None
    avg_length: float | None = None
    unique: bool = False
    values: list[str] = field(default_factory=list)
    low_cardinality: bool = False

    @property
    def orderable(self) -> bool:
        return self.family != "other"


@dataclass
class _TableProfile:
    info: TableInfo
    row_count: int | None
    columns: list[_ColumnProfile]
    prefix: str
    scanned: int | None = None  # rows the statistics were computed on
    skipped: bool = False

    @classmethod
    def of(cls, info: TableInfo, row_count: int | None) -> _TableProfile:
        columns = [
            _ColumnProfile(c.name, c.type, roles.type_family(c.type), c.description)
            for c in info.columns
        ]
        prefix = naming.column_prefix([c.name for c in info.columns])
        return cls(info, row_count, columns, prefix)

    @property
    def sampled(self) -> bool:
        return (
            self.scanned is not None
            and self.row_count is not None
            and (self.scanned < self.row_count)
        )

    def primary_key(self) -> list[str]:
        if self.info.primary_key:
            return list(self.info.primary_key)
        for column in self.columns:
            if column.unique and relationships.id_like(naming.stem(column.name, self.prefix)):
                return [column.name]
        return []

    def key_table(self, may_reference: Callable[[_ColumnProfile], bool]) -> relationships.KeyTable:
        return relationships.KeyTable(
            name=self.info.name,
            row_count=self.row_count,
            primary_key=self.primary_key(),
            declared=[(k.column, k.ref_table, k.ref_column) for k in self.info.foreign_keys],
            columns=[
                relationships.KeyColumn(
                    name=c.name,
                    family=c.family,
                    unique=c.unique,
                    non_null=c.non_null,
                    distinct=c.distinct,
                    min=c.min,
                    max=c.max,
                    may_reference=may_reference(c),
                )
                for c in self.columns
            ],
        )

    def guess(self, column: _ColumnProfile, referencing: set[tuple[str, str]]) -> roles.Guess:
        # The label's words: a generic name takes its table's (`n_name` is 'nation name').
        label = naming.label(column.name, prefix=self.prefix, table=self.info.name)
        return roles.guess(
            roles.ColumnFacts(
                words=tuple(label.lower().split()),
                type=column.type,
                unique=column.unique,
                primary_key=column.name in self.primary_key(),
                distinct_count=column.distinct,
                min=column.min,
                max=column.max,
                avg_length=column.avg_length,
                is_reference=(self.info.name, column.name) in referencing,
            )
        )

    def semantic(self, referencing: set[tuple[str, str]]) -> SemanticTable:
        columns = []
        for column in self.columns:
            guess = self.guess(column, referencing)
            null_rate = None
            if column.non_null is not None and self.scanned:
                null_rate = round(1 - column.non_null / self.scanned, 4)
            columns.append(
                SemanticColumn(
                    name=column.name,
                    type=column.type,
                    role=guess.role,
                    label=naming.label(column.name, prefix=self.prefix, table=self.info.name),
                    description=column.description,
                    default_aggregation=guess.aggregation,
                    format=guess.format,
                    time_part=guess.time_part,
                    null_rate=null_rate,
                    distinct_count=column.distinct,
                    unique=column.unique,
                    min=column.min,
                    max=column.max,
                    sample_values=column.values,
                )
            )
        return SemanticTable(
            name=self.info.name,
            label=naming.table_label(self.info.name),
            description=self.info.description,
            row_count=self.row_count,
            primary_key=self.primary_key(),
            columns=columns,
            sampled_rows=self.scanned if self.sampled else None,
        )


# --- the statements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dialect:
    spark: bool

    def ident(self, name: str) -> str:
        if self.spark:
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def table(self, name: str) -> str:
        return ".".join(self.ident(part) for part in name.split("."))

    def literal(self, text: str) -> str:
        if self.spark:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def text(self, expression: str) -> str:
        return f"CAST({expression} AS {'STRING' if self.spark else 'VARCHAR'})"

    def sample(self, rows: int, total: int) -> str:
        """About `rows` of `total` rows, each row taken or not on its own while the table is
        scanned: on DuckDB a Bernoulli sample with a fixed seed, which costs about a scan
        (a reservoir of a million rows took three times a full scan of six million, per
        statement)."""
        share = min(100.0, 100.0 * rows / total)
        if self.spark:
            return f" TABLESAMPLE ({share:.6f} PERCENT)"
        return f" TABLESAMPLE bernoulli({share:.6f}%) REPEATABLE (7)"

    def distinct(self, expression: str) -> str:
        """Exact on DuckDB; on Spark an approximation with a 1% error (a count of distinct
        values over a cluster-sized table is what Spark cannot do cheaply)."""
        if self.spark:
            return f"approx_count_distinct({expression}, 0.01)"
        return f"count(DISTINCT {expression})"


class _Runner:
    """Runs the profile's statements on one engine, within the profile's time budget."""

    def __init__(self, engine: Engine, options: ProfileOptions) -> None:
        self.engine = engine
        self.options = options
        self.sql = _Dialect(spark=engine.dialect == "spark")
        self.deadline = time.monotonic() + options.budget_s

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def rows(self, statement: str) -> list[dict[str, Any]]:
        remaining = max(1.0, self.deadline - time.monotonic())
        limits = QueryLimits(
            max_rows=max(self.options.limits.max_rows, 10_000),
            timeout_s=min(self.options.limits.timeout_s, remaining),
        )
        result = self.engine.run(statement, limits=limits, tag=f"profile-{uuid.uuid4().hex}")
        table: pa.Table
        if result.table is not None:
            table = result.table
        else:
            assert result.parquet_path is not None
            table = pq.read_table(result.parquet_path)
            shutil.rmtree(result.parquet_path, ignore_errors=True)
        return [{k.lower(): v for k, v in row.items()} for row in table.to_pylist()]

    def row_counts(self, infos: Sequence[TableInfo], notes: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for start in range(0, len(infos), TABLES_PER_STATEMENT):
            chunk = infos[start : start + TABLES_PER_STATEMENT]
            q = self.sql
            statement = " UNION ALL ".join(
                f"SELECT {q.literal(t.name)} AS t, count(*) AS n FROM {q.table(t.name)}"
                for t in chunk
            )
            try:
                counts.update({str(r["t"]): int(r["n"]) for r in self.rows(statement)})
            except EngineUnavailable:
                raise
            except ExecutorError as exc:
                notes.append(f"Row counts could not be read: {exc.message}")
        return counts

    def profile_table(self, profile: _TableProfile, notes: list[str]) -> None:
        name = profile.info.name
        source = self.sql.table(name)
        total = profile.row_count
        if total is not None and total > self.options.sample_rows:
            source += self.sql.sample(self.options.sample_rows, total)
            notes.append(
                f"{name}: statistics from a sample of about {self.options.sample_rows:,} of "
                f"{total:,} rows."
            )
        steps = (self._statistics, self._uniqueness, self._values, self._examples)
        for step in steps:
            if self.out_of_time():
                notes.append(f"{name}: the time budget ran out before every statistic was read.")
                return
            try:
                step(profile, source)
            except EngineUnavailable:
                raise
            except ExecutorError as exc:
                notes.append(f"{name}: {exc.message}")

    def _statistics(self, profile: _TableProfile, source: str) -> None:
        q = self.sql
        for start in range(0, len(profile.columns), COLUMNS_PER_STATEMENT):
            chunk = profile.columns[start : start + COLUMNS_PER_STATEMENT]
            parts = ["count(*) AS n"]
            for i, column in enumerate(chunk):
                c = q.ident(column.name)
                parts.append(f"count({c}) AS nn{i}")
                if column.orderable:
                    parts += [
                        f"approx_count_distinct({c}) AS nd{i}",
                        f"{q.text(f'min({c})')} AS lo{i}",
                        f"{q.text(f'max({c})')} AS hi{i}",
                    ]
                if column.family == "string":
                    parts.append(f"avg(length({c})) AS len{i}")
            row = self.rows(f"SELECT {', '.join(parts)} FROM {source}")[0]
            profile.scanned = int(row["n"])
            for i, column in enumerate(chunk):
                column.non_null = _int(row.get(f"nn{i}"))
                column.distinct = _int(row.get(f"nd{i}"))
                if column.non_null is not None and column.distinct is not None:
                    column.distinct = min(column.distinct, column.non_null)
                column.min = _text(row.get(f"lo{i}"))
                column.max = _text(row.get(f"hi{i}"))
                length = row.get(f"len{i}")
                column.avg_length = float(length) if length is not None else None

    def _uniqueness(self, profile: _TableProfile, source: str) -> None:
        """Exact distinct counts (approximate on Spark) of the columns that look unique."""
        candidates = [
            c
            for c in profile.columns
            if c.family in {"integer", "string", "decimal"}
            and c.non_null
            and c.non_null == profile.scanned
            and c.distinct is not None
            and c.distinct >= 0.8 * c.non_null  # HyperLogLog errs by a few percent
        ]
        if not candidates:
            return
        parts = []
        for i, column in enumerate(candidates):
            c = self.sql.ident(column.name)
            parts += [f"{self.sql.distinct(c)} AS d{i}", f"count({c}) AS nn{i}"]
        row = self.rows(f"SELECT {', '.join(parts)} FROM {source}")[0]
        for i, column in enumerate(candidates):
            distinct = _int(row.get(f"d{i}")) or 0
            # Counted in the same statement: a sample drawn again may hold other rows.
            non_null = _int(row.get(f"nn{i}")) or 0
            column.distinct = min(distinct, column.non_null or 0)
            tolerance = 0.98 if self.sql.spark else 1.0
            column.unique = non_null > 0 and distinct >= tolerance * non_null
            if column.unique and profile.sampled and profile.row_count is not None:
                column.distinct = profile.row_count

    def _values(self, profile: _TableProfile, source: str) -> None:
        """The values of low-cardinality columns, most frequent first (all of them up to
        LOW_CARDINALITY, which also makes the distinct count exact)."""
        chosen = [
            c
            for c in profile.columns
            if c.orderable
            and c.distinct is not None
            and 0 < c.distinct <= LOW_CARDINALITY * 1.2
            and not c.unique
        ]
        found: dict[int, list[str]] = {}
        for start in range(0, len(chosen), COLUMNS_PER_STATEMENT):
            chunk = list(enumerate(chosen[start : start + COLUMNS_PER_STATEMENT], start))
            for row in self.rows(self._values_statement(chunk, source)):
                found.setdefault(int(row["k"]), []).append(str(row["v"]))
        for i, column in enumerate(chosen):
            values = found.get(i, [])
            if len(values) <= LOW_CARDINALITY:
                column.low_cardinality = True
                column.values = values
                if not profile.sampled:
                    column.distinct = len(values)
            else:
                column.values = values[:FREQUENT_VALUES]

    def _values_statement(self, chunk: list[tuple[int, _ColumnProfile]], source: str) -> str:
        """Each column's most frequent values as text (`k` the column's number, `v`, `n`), at
        most LOW_CARDINALITY + 1 of them, from one scan of `source`: one grouping set per
        column (a statement of one grouped subquery per column scanned, and sampled, once per
        column)."""
        q = self.sql
        texts = ", ".join(f"{q.text(q.ident(c.name))} AS v{i}" for i, c in chunk)
        which = " ".join(f"WHEN grouping(v{i}) = 0 THEN {i}" for i, _ in chunk)
        value = ", ".join(f"v{i}" for i, _ in chunk)
        value = f"coalesce({value})" if len(chunk) > 1 else value
        sets = ", ".join(f"(v{i})" for i, _ in chunk)
        grouped = (
            f"SELECT CASE {which} END AS k, {value} AS v, count(*) AS n "
            f"FROM (SELECT {texts} FROM {source}) s GROUP BY GROUPING SETS ({sets})"
        )
        ranked = (
            "SELECT k, v, n, row_number() OVER (PARTITION BY k ORDER BY n DESC, v) AS r "
            f"FROM ({grouped}) g WHERE v IS NOT NULL"
        )
        return f"SELECT k, v, n FROM ({ranked}) t WHERE r <= {LOW_CARDINALITY + 1} ORDER BY k, r"

    def _examples(self, profile: _TableProfile, source: str) -> None:
        """A few values of every other column, from the first rows (cheap on any engine)."""
        q = self.sql
        rest = [c for c in profile.columns if not c.values and c.family != "other"]
        if not rest:
            return
        columns = ", ".join(f"{q.text(q.ident(c.name))} AS e{i}" for i, c in enumerate(rest))
        table = q.table(profile.info.name)
        rows = self.rows(f"SELECT {columns} FROM {table} LIMIT {HEAD_ROWS}")
        for i, column in enumerate(rest):
            seen: list[str] = []
            for row in rows:
                value = row.get(f"e{i}")
                if value is None:
                    continue
                text = str(value)[:EXAMPLE_CHARS]
                if text not in seen:
                    seen.append(text)
                if len(seen) >= EXAMPLE_VALUES:
                    break
            column.values = seen

    def contained(self, table: str, column: str, other: str, key: str, sample: str) -> bool:
        q = self.sql
        statement = (
            f"SELECT count(*) AS n, count(k.v) AS found FROM "
            f"(SELECT DISTINCT {q.ident(column)} AS v FROM {q.table(table)}{sample} "
            f"WHERE {q.ident(column)} IS NOT NULL) s LEFT JOIN "
            f"(SELECT DISTINCT {q.ident(key)} AS v FROM {q.table(other)}) k ON s.v = k.v"
        )
        row = self.rows(statement)[0]
        n, found = int(row["n"] or 0), int(row["found"] or 0)
        return n >= 2 and found == n


def _relationships(
    profiles: list[_TableProfile], run: _Runner, notes: list[str]
) -> list[Relationship]:
    by_name = {p.info.name: p for p in profiles}

    def may_reference(profile: _TableProfile) -> Callable[[_ColumnProfile], bool]:
        def check(column: _ColumnProfile) -> bool:
            guess = profile.guess(column, set())
            return guess.role in {"identifier", "dimension", "geography"}

        return check

    tables = [p.key_table(may_reference(p)) for p in profiles if not p.skipped]
    found = relationships.by_name(tables)
    checks = relationships.value_candidates(tables, found, VALUE_CHECKS + 1)
    if len(checks) > VALUE_CHECKS:
        notes.append(f"Only {VALUE_CHECKS} column pairs were checked for contained values.")
        checks = checks[:VALUE_CHECKS]
    hits: dict[tuple[str, str], list[tuple[Any, Any, Any, Any]]] = {}
    for table, column, other, key in checks:
        if run.out_of_time():
            notes.append("The time budget ran out before every value-based join was checked.")
            break
        profile = by_name[table.name]
        sample = ""
        if profile.sampled and profile.row_count and profile.scanned:
            sample = run.sql.sample(profile.scanned, profile.row_count)
        try:
            if run.contained(table.name, column.name, other.name, key.name, sample):
                hits.setdefault((table.name, column.name), []).append((table, column, other, key))
        except EngineUnavailable:
            raise
        except ExecutorError as exc:
            notes.append(f"{table.name}.{column.name}: {exc.message}")
    for options in hits.values():
        # Several keys contain the values: the one with the fewest values fits best; a tie is
        # ambiguous and left to a curator.
        options.sort(key=lambda o: o[3].distinct or 0)
        if len(options) > 1 and (options[0][3].distinct == options[1][3].distinct):
            continue
        found.append(relationships.from_values(*options[0]))
    return found


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:EXAMPLE_CHARS]

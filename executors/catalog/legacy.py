"""The catalog in the shape the first offline analyst reads (chat/agent/question_parser.py):
tables with columns, synonyms, sample values of low-cardinality text columns and foreign keys.
Kept only until that analyst is replaced by one that reads the SemanticCatalog itself."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from executors.catalog.model import SemanticCatalog
from executors.catalog.profile import profile_engine
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
from executors.engines.duckdb_schema import read_schema

# What the first analyst was given: up to 10 values of text columns with at most 25.
SAMPLE_MAX_DISTINCT = 25
SAMPLE_VALUES = 10


@dataclass
class LegacyColumn:
    name: str
    type: str
    description: str = ""
    synonyms: list[str] = field(default_factory=list)
    sample_values: list[str] = field(default_factory=list)


@dataclass
class LegacyTable:
    name: str
    columns: list[LegacyColumn]
    description: str = ""
    synonyms: list[str] = field(default_factory=list)
    row_count: int | None = None
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)


def legacy_tables(catalog: SemanticCatalog) -> list[LegacyTable]:
    keys: dict[str, list[ForeignKey]] = {}
    for r in catalog.relationships:
        keys.setdefault(r.from_table, []).append(
            ForeignKey(r.from_column, r.to_table, r.to_column, declared=r.origin == "declared")
        )
    return [
        LegacyTable(
            name=table.name,
            description=table.description,
            synonyms=list(table.synonyms),
            row_count=table.row_count,
            primary_key=list(table.primary_key),
            foreign_keys=keys.get(table.name, []),
            columns=[
                LegacyColumn(
                    name=c.name,
                    type=c.type,
                    description=c.description,
                    synonyms=list(c.synonyms),
                    sample_values=_samples(c.type, c.distinct_count, c.sample_values),
                )
                for c in table.columns
            ],
        )
        for table in catalog.tables
    ]


def _samples(type_name: str, distinct: int | None, values: list[str]) -> list[str]:
    if type_name != "VARCHAR" or distinct is None or distinct > SAMPLE_MAX_DISTINCT:
        return []
    return values[:SAMPLE_VALUES]


def read_catalog(cursor: duckdb.DuckDBPyConnection) -> list[TableInfo]:
    """Schema, row counts and low-cardinality samples of the database `cursor` is on, as the
    first analyst's tests and eval read it (declared keys only)."""
    profiled = profile_engine(_CursorEngine(cursor))
    by_name = {t.name: t for t in legacy_tables(profiled)}
    return [
        TableInfo(
            name=info.name,
            columns=[
                ColumnInfo(
                    c.name,
                    c.type,
                    c.description,
                    next(x.sample_values for x in by_name[info.name].columns if x.name == c.name),
                )
                for c in info.columns
            ],
            row_count=by_name[info.name].row_count,
            description=info.description,
            primary_key=info.primary_key,
            foreign_keys=info.foreign_keys,
        )
        for info in read_schema(lambda sql: cursor.execute(sql).fetchall())
    ]


class _CursorEngine(Engine):
    """An open DuckDB connection seen as an engine, so the profiler can read it."""

    kind = "duckdb_local"
    dialect = "duckdb"

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        super().__init__("cursor")
        self.cursor = cursor

    def catalog(self) -> list[TableInfo]:
        return read_schema(lambda sql: self.cursor.execute(sql).fetchall())

    def run(
        self,
        sql: str,
        *,
        limits: QueryLimits,
        tag: str,
        on_progress: ProgressCallback | None = None,
    ) -> EngineResult:
        table: pa.Table = self.cursor.execute(sql).to_arrow_table()
        return EngineResult(table=table, row_count=table.num_rows, schema=table.schema)

    def cancel(self, tag: str) -> bool:
        return False

    def health(self) -> EngineHealth:
        return EngineHealth(ok=True)

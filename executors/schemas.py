"""API and service types of the executors app (Pydantic v2 via Ninja schemas)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema

from core.schemas import BodyIn


class ColumnOut(Schema):
    name: str
    type: str


class QueryIn(BodyIn):
    sql: str
    engine: str | None = None


class QueryOut(Schema):
    id: str
    url: str
    size: Literal["small", "large"]
    format: Literal["json", "parquet"]
    row_count: int
    truncated: bool
    columns: list[ColumnOut]


class QueryResultData(Schema):
    """The spec's `QueryResult`: what `GET /api/data/{id}?format=json` answers and the sandbox
    receives. Values are JSON-safe (see executors/results.py for the encoding)."""

    columns: list[str]
    rows: list[list[Any]]


class CatalogColumn(Schema):
    name: str
    type: str
    description: str = ""
    synonyms: list[str] = []
    sample_values: list[str] = []


class CatalogForeignKey(Schema):
    column: str
    ref_table: str
    ref_column: str
    declared: bool


class CatalogTable(Schema):
    name: str
    description: str = ""
    synonyms: list[str] = []
    row_count: int | None = None
    primary_key: list[str] = []
    columns: list[CatalogColumn]
    foreign_keys: list[CatalogForeignKey] = []


class GlossaryEntry(Schema):
    term: str
    meaning: str


class EngineCatalog(Schema):
    name: str
    kind: str
    dialect: str
    default: bool
    tables: list[CatalogTable] = []
    error: str | None = None


class CatalogOut(Schema):
    default_engine: str
    engines: list[EngineCatalog]
    glossary: list[GlossaryEntry] = []

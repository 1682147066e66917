"""API and service types of the executors app (Pydantic v2 via Ninja schemas)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema

from core.schemas import BodyIn
from executors.catalog.model import Metric, Relationship, SemanticTable, ValueFormat

ColumnType = Literal[
    "integer",
    "number",
    "decimal",
    "boolean",
    "text",
    "date",
    "timestamp",
    "time",
    "duration",
    "binary",
    "nested",
    "other",
]
DateGrain = Literal["day", "week", "month", "quarter", "year"]


class ResultColumn(Schema):
    """One column of a stored result and how its values read (docs/sse.md, "Result columns"):
    `type` from the result's Arrow schema (`arrow_type`), `format` and `grain` from the semantic
    catalog column or metric the SQL computes it from, else from the type; `currency` (ISO 4217)
    with the currency format; `label` the catalog's readable name, when it has one."""

    name: str
    type: ColumnType
    arrow_type: str = ""
    format: ValueFormat
    grain: DateGrain | None = None
    currency: str | None = None
    label: str | None = None


class ResultColumnsOut(Schema):
    """The columns of a stored result, in order."""

    columns: list[ResultColumn]


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
    columns: list[ResultColumn]


class QueryResultData(Schema):
    """The spec's `QueryResult`: what `GET /api/data/{id}?format=json` answers and the sandbox
    receives. Values are JSON-safe (see executors/results.py for the encoding)."""

    columns: list[str]
    rows: list[list[Any]]


class EngineOut(Schema):
    """A data engine the user may use; `label` is its readable name for the portal."""

    name: str
    kind: str
    dialect: str
    label: str
    default: bool


class EnginesOut(Schema):
    """The engines the user may use, in configuration order; `default` is the one a question
    without an engine runs on (None when no engine is open to the user)."""

    default: str | None
    engines: list[EngineOut]


class EngineCatalog(Schema):
    """One engine's semantic catalog as the portal sees it (hidden tables and columns left out);
    `error` says why an engine that was never profiled cannot be read."""

    name: str
    kind: str
    dialect: str
    label: str = ""
    default: bool
    tables: list[SemanticTable] = []
    relationships: list[Relationship] = []
    metrics: list[Metric] = []
    profiled_at: str | None = None
    notes: list[str] = []
    revision: int = 0
    error: str | None = None


class CatalogOut(Schema):
    default_engine: str
    engines: list[EngineCatalog]

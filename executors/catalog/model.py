"""The semantic catalog: what Vizorch knows about one engine's data, profiled from the data itself
and curated by people. Everything that reads data meaning (the offline analyst, the LLM agent's
prompt and tools, the portal's catalog panel) reads these models; nothing reads raw engine
metadata directly. The contract is described in docs/catalog.md."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

ColumnRole = Literal["measure", "dimension", "time", "identifier", "geography", "text"]
Aggregation = Literal["sum", "avg", "min", "max", "count", "count_distinct", "none"]
ValueFormat = Literal["number", "integer", "currency", "percent", "date", "datetime", "text"]
# For integer columns that hold a part of a date (a `year` column, `month` 1-12, `day` 1-31).
TimePart = Literal["year", "quarter", "month", "week", "day"]
Cardinality = Literal["many_to_one", "one_to_one", "one_to_many", "many_to_many"]
# Where a relationship or a value came from: the engine's own constraints, inferred by the
# profiler (from names, or from contained values), or written by a curator.
Origin = Literal["declared", "inferred_name", "inferred_values", "curated"]


class SemanticColumn(BaseModel):
    name: str
    type: str
    role: ColumnRole
    label: str = Field(description="Readable name from the column name, e.g. 'order quantity'.")
    description: str = ""
    synonyms: list[str] = []
    default_aggregation: Aggregation = "none"
    format: ValueFormat = "text"
    time_part: TimePart | None = None
    null_rate: float | None = None
    distinct_count: int | None = None
    unique: bool = False
    min: str | None = None
    max: str | None = None
    sample_values: list[str] = []
    hidden: bool = False
    # A curated column whose underlying column changed type or vanished at the last profile.
    stale: bool = False


class SemanticTable(BaseModel):
    name: str
    label: str
    description: str = ""
    synonyms: list[str] = []
    row_count: int | None = None
    primary_key: list[str] = []
    columns: list[SemanticColumn]
    # Set when the profile read a sample rather than every row (large tables, bounded time).
    sampled_rows: int | None = None
    hidden: bool = False
    stale: bool = False


class Relationship(BaseModel):
    """`from_table.from_column` references `to_table.to_column` (a join path)."""

    from_table: str
    from_column: str
    to_table: str
    to_column: str
    cardinality: Cardinality = "many_to_one"
    origin: Origin = "inferred_name"
    stale: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def join_condition(self) -> str:
        return f"{self.from_table}.{self.from_column} = {self.to_table}.{self.to_column}"


class Metric(BaseModel):
    """A named business measure: a SQL aggregate over `table` (joined along relationships to any
    other table the expression names as `table.column`)."""

    name: str
    expression: str
    table: str
    synonyms: list[str] = []
    description: str = ""
    format: ValueFormat = "number"
    stale: bool = False


class SemanticCatalog(BaseModel):
    engine: str
    dialect: str
    tables: list[SemanticTable] = []
    relationships: list[Relationship] = []
    metrics: list[Metric] = []
    # A hash of table names, column names and types: a changed schema triggers a new profile.
    schema_fingerprint: str = ""
    profiled_at: str | None = None
    # Changes whenever the profile or the curated layer changes: a cheap key for caches built
    # from this catalog (the analyst's parsed vocabulary, a prompt).
    revision: int = 0
    notes: list[str] = Field(
        default=[], description="What the profile could not do fully, e.g. sampled tables."
    )

    def table(self, name: str) -> SemanticTable | None:
        wanted = name.strip().strip('"').lower()
        return next((t for t in self.tables if t.name.lower() == wanted), None)

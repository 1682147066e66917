"""The curated layer of one engine's catalog as one file (semantic model as code): what
`export_catalog` writes, `import_catalog` reads and every CatalogVersion keeps. YAML or JSON;
the format is described in docs/catalog.md. Parsing is strict: an unknown key, a bad value or a
duplicate name is an `InvalidCatalogFile` naming where, and nothing is applied."""

from __future__ import annotations

import json
from typing import Any, Literal

import sqlglot
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from executors.catalog.model import Aggregation, Cardinality, ColumnRole, ValueFormat
from executors.errors import InvalidCatalogFile

FORMAT: Literal["vizorch-catalog/1"] = "vizorch-catalog/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ColumnNotes(_Strict):
    label: str = ""
    description: str = ""
    synonyms: list[str] = []
    hidden: bool = False
    role: ColumnRole | None = None
    aggregation: Aggregation | None = None
    format: ValueFormat | None = None


class TableNotes(_Strict):
    label: str = ""
    description: str = ""
    synonyms: list[str] = []
    hidden: bool = False
    columns: dict[str, ColumnNotes] = {}


class RelationshipNote(_Strict):
    """`from` references `to` (both `table.column`); `removed: true` with no `to` drops what the
    profile infers from that column."""

    from_: str = Field(alias="from")
    to: str | None = None
    cardinality: Cardinality = "many_to_one"
    removed: bool = False

    @field_validator("from_", "to")
    @classmethod
    def _qualified(cls, value: str | None) -> str | None:
        if value is not None and ("." not in value or value.startswith(".") or value.endswith(".")):
            raise ValueError(f"{value!r} is not table.column")
        return value

    @model_validator(mode="after")
    def _target(self) -> RelationshipNote:
        if not self.removed and self.to is None:
            raise ValueError("a relationship needs `to` (or `removed: true`)")
        return self

    @property
    def from_table(self) -> str:
        return self.from_.rsplit(".", 1)[0]

    @property
    def from_column(self) -> str:
        return self.from_.rsplit(".", 1)[1]

    @property
    def to_table(self) -> str:
        return self.to.rsplit(".", 1)[0] if self.to else ""

    @property
    def to_column(self) -> str:
        return self.to.rsplit(".", 1)[1] if self.to else ""


class MetricNote(_Strict):
    name: str = Field(min_length=1)
    expression: str = Field(min_length=1)
    table: str = Field(min_length=1)
    synonyms: list[str] = []
    description: str = ""
    format: ValueFormat = "number"


class CatalogDocument(_Strict):
    format: Literal["vizorch-catalog/1"] = FORMAT
    engine: str | None = None
    tables: dict[str, TableNotes] = {}
    relationships: list[RelationshipNote] = []
    metrics: list[MetricNote] = []

    @model_validator(mode="after")
    def _unique(self) -> CatalogDocument:
        names = [m.name.lower() for m in self.metrics]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"metric names must be unique: {', '.join(twice)}")
        sources = [r.from_.lower() for r in self.relationships]
        twice = sorted({s for s in sources if sources.count(s) > 1})
        if twice:
            raise ValueError(f"one relationship per column: {', '.join(twice)} appear twice")
        return self

    def dump(self) -> dict[str, Any]:
        """The document as plain data, without the values that say nothing (defaults)."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True) | {
            "format": FORMAT
        }

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.dump(), sort_keys=False, allow_unicode=True, width=100)


def parse(text: str | bytes, *, dialect: str = "duckdb") -> CatalogDocument:
    """A document from YAML or JSON text. Metric expressions must parse as SQL of `dialect`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidCatalogFile(f"The file is not valid YAML or JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidCatalogFile("The file must hold one mapping (format, tables, metrics, ...).")
    return validate(data, dialect=dialect)


def validate(data: Any, *, dialect: str = "duckdb") -> CatalogDocument:
    try:
        document = CatalogDocument.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '(file)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise InvalidCatalogFile(
            f"The catalog file is invalid: {'; '.join(problems[:10])}",
        ) from exc
    for metric in document.metrics:
        try:
            sqlglot.parse_one(metric.expression, read=dialect)
        except sqlglot.errors.ParseError as exc:
            first = str(exc).splitlines()[0]
            raise InvalidCatalogFile(
                f"metrics.{metric.name}.expression is not valid SQL: {first}"
            ) from exc
    return document


def differences(old: CatalogDocument, new: CatalogDocument) -> list[str]:
    """What importing `new` over `old` changes, one line each: `+ path: value` (added),
    `- path: value` (removed), `~ path: old -> new` (changed)."""
    before, after = _flat(old), _flat(new)
    lines = []
    for path in sorted(before.keys() | after.keys()):
        if path not in after:
            lines.append(f"- {path}: {_show(before[path])}")
        elif path not in before:
            lines.append(f"+ {path}: {_show(after[path])}")
        elif before[path] != after[path]:
            lines.append(f"~ {path}: {_show(before[path])} -> {_show(after[path])}")
    return lines


def _flat(document: CatalogDocument) -> dict[str, Any]:
    out: dict[str, Any] = {}
    data = document.dump()
    for table, notes in (data.get("tables") or {}).items():
        for key, value in notes.items():
            if key == "columns":
                for column, column_notes in value.items():
                    for field, item in column_notes.items():
                        out[f"tables.{table}.columns.{column}.{field}"] = item
            else:
                out[f"tables.{table}.{key}"] = value
    for relationship in data.get("relationships") or []:
        source = relationship.pop("from")
        for key, value in relationship.items():
            out[f"relationships.{source}.{key}"] = value
        out.setdefault(f"relationships.{source}.to", None)
    for metric in data.get("metrics") or []:
        name = metric.pop("name")
        for key, value in metric.items():
            out[f"metrics.{name}.{key}"] = value
    return out


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value

"""What each column of a stored result is (docs/sse.md, "Result columns"): its type in a small
closed set, read from the result's Arrow schema, and how its values read (percent, currency, a
date's grain), traced from the statement's SQL to the semantic catalog's columns and metrics, else
from the type. Every component and the portal format a result from these, not by guessing."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlglot
from django.conf import settings
from sqlglot import exp
from sqlglot.errors import SqlglotError

from executors.catalog.model import SemanticCatalog, SemanticColumn, ValueFormat
from executors.schemas import ColumnType
from executors.schemas import DateGrain as Grain

GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")
logger = logging.getLogger(__name__)
DEFAULT_CURRENCY = "USD"
# Aggregates whose value is in the unit of what they aggregate (a sum of rates is not a rate).
_SAME_UNIT = (exp.Avg, exp.Min, exp.Max, exp.Median, exp.AnyValue, exp.First, exp.Last)
_COUNTS = (exp.Count, exp.ApproxDistinct)


def currency() -> str:
    """The ISO 4217 code of the catalog's currency columns (VIZORCH_CURRENCY)."""
    return str(getattr(settings, "VIZORCH_CURRENCY", DEFAULT_CURRENCY) or DEFAULT_CURRENCY).upper()


def column_type(arrow_type: str) -> ColumnType:
    """The closed type of an Arrow type as `str(pa.DataType)` writes it ("int64",
    "timestamp[us, tz=UTC]", "decimal128(18, 3)", "dictionary<values=string, ...>")."""
    t = arrow_type.strip().lower()
    if t.startswith("dictionary<"):
        found = re.match(r"dictionary<values=([^,>]+)", t)
        t = found[1] if found else "string"
    if t == "bool":
        return "boolean"
    if re.fullmatch(r"u?int(8|16|32|64)", t):
        return "integer"
    if t in ("float", "double", "halffloat") or t.startswith("float"):
        return "number"
    if t.startswith("decimal"):
        return "decimal"
    if t in ("string", "large_string", "utf8", "large_utf8", "string_view"):
        return "text"
    if t.startswith("date"):
        return "date"
    if t.startswith("timestamp"):
        return "timestamp"
    if t.startswith("time"):
        return "time"
    if t.startswith(("duration", "month_day_nano_interval", "interval")):
        return "duration"
    if "binary" in t:
        return "binary"
    if t.startswith(("list", "large_list", "fixed_size_list", "struct", "map")):
        return "nested"
    return "other"


def format_of_type(kind: ColumnType) -> ValueFormat:
    if kind == "integer":
        return "integer"
    if kind in ("number", "decimal", "duration"):
        return "number"
    if kind == "date":
        return "date"
    if kind == "timestamp":
        return "datetime"
    return "text"


@dataclass(frozen=True)
class Meaning:
    """What the SQL says about one output column: a catalog format, a date grain, a label."""

    format: ValueFormat | None = None
    grain: Grain | None = None
    label: str | None = None


def describe(
    schema: Iterable[dict[str, Any]],
    sql: str = "",
    *,
    dialect: str = "duckdb",
    catalog: SemanticCatalog | None = None,
) -> list[dict[str, Any]]:
    """The stored schema of a result: per column its name and Arrow type, and the format, grain
    and label the SQL traces to in `catalog` (left out when it traces to nothing)."""
    fields = [dict(field) for field in schema]
    try:
        meanings = trace(sql, dialect, catalog) if sql and catalog is not None else {}
    except Exception:
        # A hint about formats never costs the user the result: the types still say enough.
        logger.exception("could not trace the columns of a result")
        meanings = {}
    for field in fields:
        meaning = meanings.get(str(field["name"]))
        if meaning is None:
            continue
        if meaning.format:
            field["format"] = meaning.format
        if meaning.grain:
            field["grain"] = meaning.grain
        if meaning.label:
            field["label"] = meaning.label
    return fields


def result_columns(schema: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `ResultColumn`s of a stored schema (results stored before formats were traced get
    them from their types alone)."""
    out = []
    for field in schema:
        arrow_type = str(field.get("type", ""))
        kind = column_type(arrow_type)
        value_format: ValueFormat = field.get("format") or format_of_type(kind)
        if value_format in ("date", "datetime") and kind not in ("date", "timestamp", "text"):
            value_format = format_of_type(kind)
        # Without a traced grain the values decide (the coarsest grain that shows each).
        grain = field.get("grain") if kind in ("date", "timestamp", "text") else None
        column: dict[str, Any] = {
            "name": str(field["name"]),
            "type": kind,
            "arrow_type": arrow_type,
            "format": value_format,
            "grain": grain,
        }
        if value_format == "currency":
            column["currency"] = currency()
        if field.get("label"):
            column["label"] = field["label"]
        out.append(column)
    return out


# --- tracing the SQL ---------------------------------------------------------------------------


def trace(sql: str, dialect: str, catalog: SemanticCatalog) -> dict[str, Meaning]:
    """Output column name -> what it traces to; nothing for SQL that does not parse."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except (SqlglotError, RecursionError, ValueError):
        return {}
    select = _first_select(tree)
    if select is None:
        return {}
    return _Tracer(catalog, tree).outputs(select)


def _first_select(node: exp.Expr | None) -> exp.Select | None:
    while isinstance(node, (exp.SetOperation, exp.Subquery)):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _bare(node: exp.Expr) -> str:
    """An expression's SQL without table qualifiers or case, to compare with a metric's."""
    copy = node.copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
        column.set("db", None)
        column.set("catalog", None)
    return re.sub(r"\s+", "", copy.sql(dialect="duckdb").lower())


_METRICS: dict[int, tuple[SemanticCatalog, dict[str, Meaning], dict[str, Meaning]]] = {}


def _metric_meanings(catalog: SemanticCatalog) -> tuple[dict[str, Meaning], dict[str, Meaning]]:
    """The catalog's metrics by their parsed expression and by their name, parsed once per
    catalog object (the selectors hand every result the same object until the catalog
    changes)."""
    cached = _METRICS.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1], cached[2]
    by_expression: dict[str, Meaning] = {}
    by_name: dict[str, Meaning] = {}
    for metric in catalog.metrics:
        meaning = Meaning(format=metric.format, label=metric.name)
        by_name[_norm(metric.name)] = meaning
        try:
            parsed = sqlglot.parse_one(metric.expression, read=catalog.dialect or "duckdb")
        except (SqlglotError, RecursionError, ValueError):
            continue
        by_expression[_bare(parsed)] = meaning
    if len(_METRICS) > 16:
        _METRICS.clear()
    _METRICS[id(catalog)] = (catalog, by_expression, by_name)
    return by_expression, by_name


class _Tracer:
    def __init__(self, catalog: SemanticCatalog, tree: exp.Expr) -> None:
        self.catalog = catalog
        self.ctes: dict[str, exp.Expr] = {}
        for cte in tree.find_all(exp.CTE):
            self.ctes[cte.alias_or_name.lower()] = cte.this
        self.metrics, self.metric_names = _metric_meanings(catalog)
        self.depth = 0

    def outputs(self, select: exp.Select) -> dict[str, Meaning]:
        sources = self._sources(select)
        out: dict[str, Meaning] = {}
        for projection in select.expressions:
            name = projection.alias_or_name
            if not name or isinstance(projection, exp.Star):
                continue
            meaning = self.meaning(projection.unalias(), sources) or Meaning()
            named = self.metric_names.get(_norm(name))
            if meaning.format is None and named is not None:
                meaning = named
            if meaning.grain is None and _norm(name) in GRAINS and _is_date_like(projection):
                grain: Grain = _norm(name)  # type: ignore[assignment]
                meaning = Meaning(format=meaning.format or "date", grain=grain, label=meaning.label)
            if meaning != Meaning():
                out[name] = meaning
        return out

    def _sources(self, select: exp.Select) -> dict[str, exp.Expr | str]:
        """Alias (or name) -> a catalog table name, or the select a CTE or subquery is."""
        sources: dict[str, exp.Expr | str] = {}
        froms = [select.args.get("from_") or select.args.get("from")]
        froms += list(select.args.get("joins") or [])
        for item in froms:
            if item is None:
                continue
            node = item.this
            if isinstance(node, exp.Table):
                key = (node.alias_or_name or node.name).lower()
                target = self.ctes.get(node.name.lower())
                sources[key] = target if target is not None else node.name
            elif isinstance(node, exp.Subquery) and node.alias_or_name:
                sources[node.alias_or_name.lower()] = node.this
        return sources

    def meaning(self, node: exp.Expr, sources: dict[str, exp.Expr | str]) -> Meaning | None:
        metric = self.metrics.get(_bare(node)) if self.metrics else None
        if metric is not None:
            return metric
        if isinstance(node, (exp.Paren, exp.Alias)):
            return self.meaning(node.this, sources)
        if isinstance(node, exp.Column):
            return self._column(node, sources)
        if isinstance(node, exp.Cast):
            inner = self.meaning(node.this, sources)
            target = node.to.this if isinstance(node.to, exp.DataType) else None
            if target in (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP):
                return Meaning(format="date", grain=inner.grain if inner else None)
            if target in exp.DataType.TEXT_TYPES:
                return None
            return inner
        if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc, exp.DatetimeTrunc)):
            unit = node.args.get("unit")
            name = (unit.name if isinstance(unit, exp.Expr) else str(unit or "")).lower()
            return Meaning(format="date", grain=name if name in GRAINS else None)  # type: ignore[arg-type]
        if isinstance(node, exp.DateFromParts):
            day = node.args.get("day")
            month = node.args.get("month")
            if _is_one(day):
                return Meaning(format="date", grain="year" if _is_one(month) else "month")
            return Meaning(format="date", grain="day")
        if isinstance(node, exp.Window):
            return self.meaning(node.this, sources)
        if isinstance(node, _COUNTS):
            return Meaning(format="integer")
        if isinstance(node, exp.Sum):
            inner = self.meaning(node.this, sources)
            if inner is None or inner.format == "percent":
                return None
            return Meaning(format=inner.format)
        if isinstance(node, (*_SAME_UNIT, exp.Lag, exp.Lead, exp.Round, exp.Coalesce, exp.Abs)):
            inner = self.meaning(node.this, sources)
            return Meaning(format=inner.format, grain=inner.grain) if inner else None
        if isinstance(node, exp.Div):
            return Meaning(format="percent") if _relative_change(node) else None
        if isinstance(node, (exp.Add, exp.Sub)):
            left, right = self.meaning(node.this, sources), self.meaning(node.expression, sources)
            if left and right and left.format == right.format:
                return Meaning(format=left.format)
            return None
        if isinstance(node, exp.Mul):
            formats = {
                m.format
                for m in (self.meaning(node.this, sources), self.meaning(node.expression, sources))
                if m is not None
            }
            return Meaning(format="currency") if "currency" in formats else None
        return None

    def _column(self, node: exp.Column, sources: dict[str, exp.Expr | str]) -> Meaning | None:
        name = node.name.lower()
        qualifier = node.table.lower()
        candidates = [sources[qualifier]] if qualifier in sources else list(sources.values())
        for source in candidates:
            if isinstance(source, str):
                column = self._catalog_column(source, name)
                if column is not None:
                    return _of_column(column)
            elif self.depth < 8:
                inner = _first_select(source)
                if inner is None:
                    continue
                self.depth += 1
                try:
                    found = self.outputs(inner)
                finally:
                    self.depth -= 1
                for output, meaning in found.items():
                    if output.lower() == name:
                        return meaning
        return None

    def _catalog_column(self, table_name: str, name: str) -> SemanticColumn | None:
        table = self.catalog.table(table_name)
        if table is None:
            return None
        return next((c for c in table.columns if c.name.lower() == name), None)


def _of_column(column: SemanticColumn) -> Meaning:
    value_format: ValueFormat = column.format
    if column.role == "identifier":
        value_format = "text"
    grain: Grain | None = None
    if column.time_part is not None:
        # A year or month number reads as it is ("2021", not "2,021").
        value_format = "text"
    elif value_format == "date":
        grain = "day"
    return Meaning(format=value_format, grain=grain, label=column.label)


def _is_one(node: Any) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and node.this == "1"


def _is_date_like(projection: exp.Expr) -> bool:
    node = projection.unalias()
    return isinstance(
        node, (exp.Cast, exp.TimestampTrunc, exp.DateTrunc, exp.DateFromParts, exp.Column)
    )


def _relative_change(node: exp.Div) -> bool:
    """(a - b) / b: a change relative to where it started, a rate."""
    numerator = node.this.unnest()
    if not isinstance(numerator, exp.Sub):
        return False
    denominator = node.expression.unnest()
    return _bare(numerator.expression) == _bare(denominator)

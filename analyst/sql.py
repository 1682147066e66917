"""One DuckDB statement from an intent: the table whose rows are measured is the base, every other
table is joined along the catalog's relationships from the many side to the one side (so no row
is counted twice), metrics are the catalog's expressions, and time buckets are the DATE that
starts the bucket (`date_trunc`), oldest first, or the year/month/day integer columns themselves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from analyst.intent import Clarify, Decline, Intent, Measure, TimeRange
from analyst.schema import Col, Edge, Schema, quote, sql_literal
from analyst.vocabulary import GRAINS, Grain

# A sum of one column (a metric's expression too): its categories add up, so "Other" may be
# their sum; averages, ratios and distinct counts do not.
_ADDITIVE = re.compile(r"SUM\((?!DISTINCT\b)[^()]*\)", re.I)


@dataclass(frozen=True)
class Axis:
    name: str
    kind: str  # "time" | "dimension"
    grain: str | None = None


@dataclass(frozen=True)
class BuiltQuery:
    """The statement and the roles of its columns, which the chart is built from."""

    sql: str
    axes: tuple[Axis, ...]
    values: tuple[str, ...]
    percent_values: frozenset[str] = field(default_factory=frozenset)
    # Values whose rows add up (sums), so a chart may sum the categories it leaves out.
    additive_values: frozenset[str] = field(default_factory=frozenset)
    ordered_by_value: bool = False
    base: str = ""
    time_col: Col | None = None


class _Joins:
    def __init__(self, schema: Schema, base: str) -> None:
        self.schema = schema
        self.base = base
        self.joined = [base]
        self.clauses: list[str] = []

    def need(self, table: str) -> bool:
        if table in self.joined:
            return True
        path = self.schema.path(self.base, table)
        if path is None:
            return False
        for e in path:
            if e.dst in self.joined:
                continue
            a = self.schema.aliases
            self.clauses.append(
                f"JOIN {self.schema.from_item(e.dst)} ON {a[e.src]}.{quote(e.src_col)} = "
                f"{a[e.dst]}.{quote(e.dst_col)}"
            )
            self.joined.append(e.dst)
        return True


# --------------------------------------------------------------------------------------------
# Metrics: the catalog's expressions, written against our table aliases


@dataclass(frozen=True)
class MetricSql:
    sql: str
    tables: tuple[str, ...]
    # Only COUNT(DISTINCT ...), MIN and MAX: joining more rows cannot change the value.
    duplicate_safe: bool


def metric_sql(schema: Schema, measure: Measure) -> MetricSql | None:
    metric = measure.metric
    assert metric is not None
    try:
        tree = sqlglot.parse_one(metric.expression, read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    by_name: dict[str, str] = {}
    for name in schema.tables:
        by_name[name.lower()] = name
        by_name.setdefault(name.rsplit(".", 1)[-1].lower(), name)
    tables = [metric.table]
    for column in tree.find_all(exp.Column):
        qualifier = ".".join(
            part.name for part in (column.args.get("db"), column.args.get("table")) if part
        )
        table = by_name.get(qualifier.lower()) if qualifier else metric.table
        if table is None:
            return None
        tables.append(table)
        column.set("db", None)
        column.set("table", exp.to_identifier(schema.aliases[table]))
    safe = True
    for agg in tree.find_all(exp.AggFunc):
        if isinstance(agg, exp.Min | exp.Max):
            continue
        if isinstance(agg, exp.Count) and isinstance(agg.this, exp.Distinct):
            continue
        safe = False
    return MetricSql(tree.sql(dialect="duckdb"), tuple(dict.fromkeys(tables)), safe)


def _duplicate_safe(m: Measure, schema: Schema) -> bool:
    if m.kind == "ratio":
        assert m.num is not None and m.den is not None
        return _duplicate_safe(m.num, schema) and _duplicate_safe(m.den, schema)
    if m.kind == "metric":
        built = metric_sql(schema, m)
        return built is not None and built.duplicate_safe
    if m.kind == "agg":
        return m.agg in ("min", "max")
    return True


# --------------------------------------------------------------------------------------------
# The statement


def build_sql(intent: Intent, schema: Schema) -> BuiltQuery | Clarify | Decline:
    """The SQL for `intent`, or why it cannot be written against this catalog."""
    needs_time = intent.grain is not None or intent.time_range is not None
    dim_tables = [d.table for d in intent.dimensions] + [f.col.table for f in intent.filters]
    if intent.time_col is not None:
        dim_tables.append(intent.time_col.table)
    base = _choose_base(intent, schema, dim_tables, needs_time)
    if isinstance(base, Decline):
        return base
    base_table, time_col = base
    if needs_time and time_col is None:
        chosen = _time_column(intent, schema, base_table)
        if isinstance(chosen, Clarify | Decline):
            return chosen
        time_col = chosen

    joins = _Joins(schema, base_table)
    for t in [*dim_tables, *([time_col.table] if time_col else [])]:
        if not joins.need(t):
            return Decline(
                "not_understood",
                f"I can't relate {_name(schema, t)} to {_name(schema, base_table)} in this catalog",
            )

    select: list[str] = []
    axes: list[Axis] = []
    names: set[str] = set()
    bucket = ""
    if intent.grain is not None:
        assert time_col is not None
        made = _bucket(schema, time_col, intent.grain)
        if made is None:
            return Decline(
                "unsupported",
                f"{time_col.label} holds {time_col.time_part}s; it cannot be cut by {intent.grain}",
            )
        bucket, name = made
        select.append(
            bucket
            if bucket == schema.ref(time_col) and name == time_col.name
            else f"{bucket} AS {quote(name)}"
        )
        axes.append(Axis(name, "time", intent.grain))
        names.add(name.lower())
    for d in intent.dimensions:
        name = d.name
        if name.lower() in names:
            name = f"{schema.aliases[d.table]}_{d.name}"
            select.append(f"{schema.ref(d)} AS {quote(name)}")
        else:
            select.append(schema.ref(d))
        axes.append(Axis(name, "dimension"))
        names.add(name.lower())
    if intent.compare_years and len(axes) > 1:
        # "2022 vs 2023 by X": the X values are the axis, the years the series.
        select = [*select[1:], select[0]]
        axes = [*axes[1:], axes[0]]

    values: list[str] = []
    percent: set[str] = set()
    additive: set[str] = set()
    exprs: list[str] = []
    for m in intent.measures:
        expr = _measure_expr(m, schema, base_table, joins, time_col)
        if isinstance(expr, Decline):
            return expr
        label = m.label
        while label.lower() in names:
            label += "_"
        names.add(label.lower())
        select.append(f"{expr} AS {quote(label)}")
        values.append(label)
        exprs.append(expr)
        if m.percent:
            percent.add(label)
        if _ADDITIVE.fullmatch(expr.strip()):
            additive.add(label)
    if intent.growth and exprs and bucket:
        part = ", ".join(schema.ref(d) for d in intent.dimensions)
        over = f"OVER ({'PARTITION BY ' + part + ' ' if part else ''}ORDER BY {bucket})"
        first = exprs[0]
        growth = f"{values[0]}_growth"
        select.append(f"({first} - LAG({first}) {over}) / LAG({first}) {over} AS {growth}")
        values.append(growth)
        percent.add(growth)

    where = [_filter_sql(schema, f.col, f.values, f.negate) for f in intent.filters]
    if intent.time_range is not None and time_col is not None:
        where.append(_time_sql(schema, intent.time_range, time_col))

    lines = ["SELECT " + ", ".join(select), f"FROM {schema.from_item(base_table)}", *joins.clauses]
    if where:
        lines.append("WHERE " + " AND ".join(where))
    if axes:
        lines.append("GROUP BY " + ", ".join(str(i + 1) for i in range(len(axes))))
    ordered_by_value = False
    first_value = len(axes) + 1
    if intent.top_n is not None and values:
        direction = "ASC" if intent.order == "asc" else "DESC"
        lines.append(f"ORDER BY {first_value} {direction}")
        lines.append(f"LIMIT {intent.top_n}")
        ordered_by_value = True
    elif intent.grain is not None:
        lines.append("ORDER BY " + ", ".join(str(i + 1) for i in range(len(axes))))
    elif axes and values:
        direction = "ASC" if intent.order == "asc" else "DESC"
        lines.append(f"ORDER BY {first_value} {direction}")
        ordered_by_value = intent.order is not None
    return BuiltQuery(
        "\n".join(lines),
        tuple(axes),
        tuple(values),
        frozenset(percent),
        frozenset(additive),
        ordered_by_value,
        base_table,
        time_col,
    )


def _name(schema: Schema, table: str) -> str:
    return schema.tables[table].label


def _measured_tables(m: Measure, schema: Schema) -> list[str]:
    """Tables a measure must be computed from (the base candidates): its column's or metric's."""
    if m.kind == "ratio":
        assert m.num is not None and m.den is not None
        return _measured_tables(m.num, schema) + _measured_tables(m.den, schema)
    if m.kind == "metric":
        assert m.metric is not None
        return [m.metric.table]
    if m.kind in ("agg", "distinct") and m.col is not None:
        return [m.col.table]
    return []


def _counted(m: Measure) -> list[str]:
    if m.kind == "ratio":
        assert m.num is not None and m.den is not None
        return _counted(m.num) + _counted(m.den)
    return [m.table] if m.kind == "count" and m.table else []


def _choose_base(
    intent: Intent, schema: Schema, dim_tables: list[str], needs_time: bool
) -> tuple[str, Col | None] | Decline:
    measured = [t for m in intent.measures for t in _measured_tables(m, schema)]
    unsafe = [
        t
        for m in intent.measures
        if not _duplicate_safe(m, schema)
        for t in _measured_tables(m, schema)
    ]
    counted = [t for m in intent.measures for t in _counted(m)]
    need = list(dict.fromkeys([*dim_tables, *measured]))
    if unsafe:
        # The measured rows must not be multiplied: the base is their own table.
        for base in dict.fromkeys(unsafe):
            reach = schema.many_to_one(base)
            if all(t in reach for t in need) and all(
                _count_reachable(schema, base, e) for e in counted
            ):
                return base, None
        tables = " and ".join(_name(schema, t) for t in dict.fromkeys(unsafe + dim_tables))
        return Decline(
            "not_understood",
            f"I can't combine {tables} without counting rows twice along this catalog's "
            "relationships",
        )
    if measured and not counted:
        for base in dict.fromkeys(measured):
            if all(t in schema.many_to_one(base) for t in need):
                return base, None
        for base in schema.tables:
            if all(t in schema.many_to_one(base) for t in need):
                return base, None
        return Decline("not_understood", "I can't relate these tables in this catalog")
    entity = counted[0] if counted else None
    if entity is None:
        # Counting time buckets: the base is where the dimensions are.
        candidates = list(dict.fromkeys([*dim_tables, *intent.mentioned]))
        if intent.time_col is not None:
            candidates.insert(0, intent.time_col.table)
        for base in candidates:
            reach = schema.many_to_one(base)
            if all(t in reach for t in need):
                return base, None
        dated = [t for t in schema.tables if schema.time_columns(t)]
        if len(dated) == 1 and not need:
            return dated[0], None
        return Decline("not_understood", "I can't tell which table's dates to count")
    return _entity_base(intent, schema, entity, need, needs_time)


def _count_reachable(schema: Schema, base: str, entity: str) -> bool:
    return entity == base or entity in schema.many_to_one(base)


def _entity_base(
    intent: Intent, schema: Schema, entity: str, need: list[str], needs_time: bool
) -> tuple[str, Col | None]:
    """Where to count `entity` from: its own table when everything asked lives there (or in
    tables it references), else a table that records its activity and references it."""
    own_dates = schema.time_columns(entity)
    if intent.new_entities and own_dates:
        return entity, own_dates[0]
    reach = schema.many_to_one(entity)
    refs = [e for e in schema.referencing(entity) if e.src != entity]
    if (
        intent.time_col is not None
        and intent.time_col.table in reach
        and all(t in reach for t in need)
    ):
        return entity, intent.time_col
    if not needs_time and all(t in reach for t in need):
        return entity, None
    mentioned = [e for e in refs if e.src in intent.mentioned]
    dated_refs = [e for e in refs if schema.time_columns(e.src)]
    if needs_time and own_dates and not mentioned and all(t in reach for t in need):
        # Its own date, unless the question names the table that records its activity
        # ("members who made bookings in 2023").
        return entity, _own_date(own_dates)
    for e in [*mentioned, *dated_refs, *refs]:
        if all(t in schema.many_to_one(e.src) for t in need):
            return e.src, None
    if needs_time and own_dates and all(t in reach for t in need):
        return entity, _own_date(own_dates)
    return entity, None


def _own_date(dates: list[Col]) -> Col | None:
    """An entity's one date; None when it has several (then the caller asks which)."""
    return dates[0] if len(dates) == 1 else None


def _time_column(intent: Intent, schema: Schema, base: str) -> Col | Clarify | Decline:
    if intent.time_col is not None:
        return intent.time_col
    reach = schema.many_to_one(base)
    dated = [(dist, c) for t, dist in reach.items() for c in schema.time_columns(t)]
    if not dated:
        return Decline("not_understood", f"there is no date in {_name(schema, base)} to slice by")
    nearest = min(d for d, _ in dated)
    closest = [c for d, c in dated if d == nearest]
    if len(closest) == 1:
        return closest[0]
    # Several dates are as close: "in 1995" by which of them?
    question = intent.question.rstrip(" ?.!")
    options = tuple(
        f"{question} using the {schema.tables[c.table].singular} {c.label}"
        if not c.label.startswith(schema.tables[c.table].singular)
        else f"{question} using the {c.label}"
        for c in closest[:5]
    )
    return Clarify("Which date should I use?", options)


def _bucket(schema: Schema, col: Col, grain: Grain) -> tuple[str, str] | None:
    """The bucket expression and its output name."""
    if col.is_date:
        return f"CAST(date_trunc('{grain}', {schema.ref(col)}) AS DATE)", grain
    parts = _date_parts(schema, col)
    year = parts.get("year")
    if grain == "year" and year is not None:
        return schema.ref(year), year.name
    month = parts.get("month")
    if year is None or month is None or GRAINS.index(grain) < GRAINS.index("month"):
        day = parts.get("day")
        if grain == "day" and year and month and day:
            expr = f"make_date({schema.ref(year)}, {schema.ref(month)}, {schema.ref(day)})"
            return expr, "day"
        return None
    y, mo = schema.ref(year), schema.ref(month)
    if grain == "quarter":
        return f"make_date({y}, ({mo} - 1) // 3 * 3 + 1, 1)", "quarter"
    if grain == "month":
        return f"make_date({y}, {mo}, 1)", "month"
    return None


def _date_parts(schema: Schema, col: Col) -> dict[str, Col]:
    """The integer date-part columns of `col`'s table (year, month, day)."""
    out: dict[str, Col] = {}
    for c in schema.tables[col.table].columns:
        if c.time_part and c.is_numeric and c.time_part not in out:
            out[c.time_part] = c
    return out


def _count_expr(entity: str, schema: Schema, base: str, joins: _Joins) -> str | Decline:
    key = schema.tables[entity].key
    if entity == base:
        if key is None:
            return "COUNT(*)"
        return f"COUNT(DISTINCT {schema.ref(key)})"
    path = schema.path(base, entity)
    if path is None:
        return Decline(
            "not_understood",
            f"I can't count {schema.tables[entity].plural} from {_name(schema, base)}",
        )
    last: Edge = path[-1]
    if len(path) == 1 or last.src in joins.joined:
        # Count the reference where the activity is recorded, without joining the entity's
        # own table just to count its keys.
        joins.need(last.src)
        src = schema.column(last.src, last.src_col)
        assert src is not None
        return f"COUNT(DISTINCT {schema.ref(src)})"
    if key is None:
        return Decline("not_understood", f"{_name(schema, entity)} has no key to count")
    joins.need(entity)
    return f"COUNT(DISTINCT {schema.ref(key)})"


def _measure_expr(
    m: Measure, schema: Schema, base: str, joins: _Joins, time_col: Col | None
) -> str | Decline:
    if m.kind == "ratio":
        assert m.num is not None and m.den is not None
        num = _measure_expr(m.num, schema, base, joins, time_col)
        den = _measure_expr(m.den, schema, base, joins, time_col)
        if isinstance(num, Decline):
            return num
        if isinstance(den, Decline):
            return den
        return f"{num} / {den}"
    if m.kind == "count":
        assert m.table is not None
        return _count_expr(m.table, schema, base, joins)
    if m.kind == "buckets":
        if time_col is None or m.grain is None:
            found = _time_column(Intent(question=""), schema, base)
            if not isinstance(found, Col):
                return Decline("not_understood", "there is no single date to count days of")
            time_col = found
            joins.need(time_col.table)
        made = _bucket(schema, time_col, m.grain or "day")
        if made is None:
            return Decline("unsupported", f"{time_col.label} has no {m.grain}s to count")
        return f"COUNT(DISTINCT {made[0]})"
    if m.kind == "metric":
        built = metric_sql(schema, m)
        if built is None:
            return Decline("not_understood", f"the metric {m.label} cannot be read")
        for t in built.tables:
            if not joins.need(t):
                return Decline(
                    "not_understood",
                    f"the metric {m.label} needs {_name(schema, t)}, which I can't reach",
                )
        return built.sql
    assert m.col is not None
    joins.need(m.col.table)
    if m.kind == "distinct":
        return f"COUNT(DISTINCT {schema.ref(m.col)})"
    assert m.agg is not None
    return f"{m.agg.upper()}({schema.ref(m.col)})"


def _filter_sql(schema: Schema, col: Col, values: tuple[str, ...], negate: bool) -> str:
    ref = schema.ref(col)
    if len(values) == 1:
        return f"{ref} {'<>' if negate else '='} {sql_literal(values[0])}"
    listed = ", ".join(sql_literal(v) for v in values)
    return f"{ref} {'NOT IN' if negate else 'IN'} ({listed})"


def _time_sql(schema: Schema, r: TimeRange, col: Col) -> str:
    if col.is_date:
        expr = schema.ref(col)
        year, month, quarter = f"year({expr})", f"month({expr})", f"quarter({expr})"
    else:
        parts = _date_parts(schema, col)
        year = schema.ref(parts["year"]) if "year" in parts else schema.ref(col)
        month = schema.ref(parts["month"]) if "month" in parts else "NULL"
        quarter = f"(({month} - 1) // 3 + 1)" if "month" in parts else "NULL"
        expr = ""
    if r.kind == "years":
        if len(r.values) == 1:
            return f"{year} = {r.values[0]}"
        return f"{year} IN ({', '.join(str(v) for v in r.values)})"
    if r.kind == "year_between":
        return f"{year} BETWEEN {r.a} AND {r.b}"
    if r.kind == "since":
        return f"{expr} >= DATE '{r.a}-01-01'" if expr else f"{year} >= {r.a}"
    if r.kind == "before":
        return f"{expr} < DATE '{r.a}-01-01'" if expr else f"{year} < {r.a}"
    if r.kind == "quarter":
        if r.a:
            return f"{year} = {r.a} AND {quarter} = {r.b}"
        return f"{quarter} = {r.b}"
    if r.kind == "month":
        if r.a:
            return f"{year} = {r.a} AND {month} = {r.b}"
        return f"{month} = {r.b}"
    # "last N units" counts whole buckets back from the newest date in the data, not from today.
    table = schema.from_item(col.table).split(" AS ")[0]
    if not expr:
        return f"{year} > (SELECT MAX({quote(col.name)}) FROM {table}) - {r.a}"
    latest = f"(SELECT MAX({quote(col.name)}) FROM {table})"
    n = max(r.a - 1, 0)
    if n == 0:
        return f"{expr} >= date_trunc('{r.unit}', {latest})"
    step = {"quarter": ("month", 3 * n), "week": ("day", 7 * n)}.get(r.unit, (r.unit, n))
    return f"{expr} >= date_trunc('{r.unit}', {latest}) - INTERVAL {step[1]} {step[0].upper()}"

"""Builds one DuckDB statement from an analytical intent, following the business vocabulary of
docs/demo-data.md: joins only the tables a question needs, no status filter unless asked, time
buckets as the DATE that starts the bucket, oldest first."""

from __future__ import annotations

from dataclasses import dataclass, field

from chat.agent.question_parser import Column, Declined, Edge, Intent, Measure, Schema, TimeRange


@dataclass(frozen=True)
class Axis:
    name: str
    kind: str  # "time" | "category"
    grain: str | None = None


@dataclass(frozen=True)
class BuiltQuery:
    """The statement and the roles of its columns, which the chart is built from."""

    sql: str
    axes: tuple[Axis, ...]
    values: tuple[str, ...]
    percent_values: frozenset[str] = field(default_factory=frozenset)
    ordered_by_value: bool = False


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
        a = self.schema.aliases
        for e in path:
            new = e.dst if e.src in self.joined else e.src
            if new in self.joined:
                continue
            self.clauses.append(
                f"JOIN {new} {a[new]} ON {a[e.src]}.{e.src_col} = {a[e.dst]}.{e.dst_col}"
            )
            self.joined.append(new)
        return True


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _measure_tables(m: Measure) -> list[str]:
    if m.agg == "ratio":
        assert m.num is not None and m.den is not None
        return _measure_tables(m.num) + _measure_tables(m.den)
    if m.agg == "count_entity" or m.table is None:
        return []
    return [m.table]


def _entity_counts(m: Measure) -> list[str]:
    if m.agg == "ratio":
        assert m.num is not None and m.den is not None
        return _entity_counts(m.num) + _entity_counts(m.den)
    return [m.table] if m.agg == "count_entity" and m.table else []


def build_sql(intent: Intent, schema: Schema) -> BuiltQuery | Declined:
    """The SQL for `intent`, or why it cannot be written against this catalog."""
    a = schema.aliases
    needs_time = intent.grain is not None or intent.time_range is not None
    dim_tables = [d.table for d in intent.dimensions] + [f.table for f in intent.filters]

    fact_tables = [t for m in intent.measures for t in _measure_tables(m)]
    counted = [t for m in intent.measures for t in _entity_counts(m)]
    date_col: Column | None = None
    if fact_tables:
        base = max(
            dict.fromkeys(fact_tables),
            key=lambda t: sum(1 for o in fact_tables if o in schema.many_to_one(t)),
        )
    else:
        base, date_col = _entity_base(intent, schema, counted[0], dim_tables, needs_time)
    if needs_time and date_col is None:
        reach = schema.many_to_one(base)
        dated = [(dist, c) for t, dist in reach.items() for c in schema.date_columns(t)]
        if not dated:
            return Declined(
                f"I can't answer that offline: there is no date column to slice {base} by time.",
                "not_understood",
            )
        date_col = min(dated, key=lambda x: x[0])[1]

    joins = _Joins(schema, base)
    for t in dim_tables + fact_tables + ([date_col.table] if date_col else []):
        if not joins.need(t):
            return Declined(
                f"I can't answer that offline: I can't relate {t} to {base} in this catalog.",
                "not_understood",
            )

    select: list[str] = []
    axes: list[Axis] = []
    date_expr = f"{a[date_col.table]}.{date_col.name}" if date_col else ""
    if intent.grain is not None:
        select.append(f"CAST(date_trunc('{intent.grain}', {date_expr}) AS DATE) AS {intent.grain}")
        axes.append(Axis(intent.grain, "time", intent.grain))
    for d in intent.dimensions:
        select.append(f"{a[d.table]}.{d.column}")
        axes.append(Axis(d.column, "category"))
    if intent.compare_years and len(axes) > 1:
        # "2022 vs 2023 by region": the regions are the axis, the years the series.
        select = [*select[1:], select[0]]
        axes = [*axes[1:], axes[0]]

    values: list[str] = []
    percent: set[str] = set()
    exprs: list[str] = []
    for m in intent.measures:
        expr = _measure_expr(m, schema, base, joins)
        if expr is None:
            return Declined(
                f"I can't answer that offline: I can't compute {m.label} from {base}.",
                "not_understood",
            )
        label = m.label
        while label in values or label in [x.name for x in axes]:
            label += "_"
        select.append(f"{expr} AS {label}")
        values.append(label)
        exprs.append(expr)
        if m.percent:
            percent.add(label)
    if intent.growth and exprs:
        bucket = f"CAST(date_trunc('{intent.grain}', {date_expr}) AS DATE)"
        part = ", ".join(f"{a[d.table]}.{d.column}" for d in intent.dimensions)
        over = f"OVER ({'PARTITION BY ' + part + ' ' if part else ''}ORDER BY {bucket})"
        first = exprs[0]
        growth = f"{values[0]}_growth"
        select.append(f"({first} - LAG({first}) {over}) / LAG({first}) {over} AS {growth}")
        values.append(growth)
        percent.add(growth)

    where = [_filter_sql(f.table, f.column, f.values, f.negate, a) for f in intent.filters]
    if intent.time_range is not None and date_col is not None:
        where.append(_time_sql(intent.time_range, date_expr, date_col))

    sql = ["SELECT " + ", ".join(select), f"FROM {base} {a[base]}", *joins.clauses]
    if where:
        sql.append("WHERE " + " AND ".join(where))
    if axes:
        sql.append("GROUP BY " + ", ".join(str(i + 1) for i in range(len(axes))))
    ordered_by_value = False
    first_value = len(axes) + 1
    if intent.top_n is not None and values:
        direction = "ASC" if intent.order == "asc" else "DESC"
        sql.append(f"ORDER BY {first_value} {direction}")
        sql.append(f"LIMIT {intent.top_n}")
        ordered_by_value = True
    elif intent.grain is not None:
        sql.append("ORDER BY " + ", ".join(str(i + 1) for i in range(len(axes))))
    elif axes and values:
        direction = "ASC" if intent.order == "asc" else "DESC"
        sql.append(f"ORDER BY {first_value} {direction}")
        ordered_by_value = intent.order is not None
    return BuiltQuery(
        "\n".join(sql), tuple(axes), tuple(values), frozenset(percent), ordered_by_value
    )


def _entity_base(
    intent: Intent, schema: Schema, entity: str, dim_tables: list[str], needs_time: bool
) -> tuple[str, Column | None]:
    """Where to count `entity` from: its own table when everything asked lives there (or in
    tables it references), else the table that records its activity (orders for customers)."""
    own_dates = schema.date_columns(entity)
    if intent.new_entities and own_dates:
        return entity, own_dates[0]
    reach = schema.many_to_one(entity)
    refs = schema.referencing(entity)
    if not needs_time and all(t in reach for t in dim_tables):
        return entity, None
    dated_refs = [e for e in refs if schema.date_columns(e.src)]
    if needs_time and own_dates and not dated_refs:
        return entity, own_dates[0]
    for e in dated_refs or refs:
        if all(t in schema.many_to_one(e.src) for t in dim_tables):
            return e.src, None
    if refs:
        return (dated_refs or refs)[0].src, None
    return entity, own_dates[0] if own_dates and needs_time else None


def _count_expr(entity: str, schema: Schema, base: str, joins: _Joins) -> str | None:
    a = schema.aliases
    key = schema.pk[entity]
    if entity == base:
        return f"COUNT(DISTINCT {a[base]}.{key})"
    path = schema.path(base, entity)
    if path is None:
        return None
    if entity in joins.joined:
        return f"COUNT(DISTINCT {a[entity]}.{key})"
    last: Edge = path[-1]
    if last.dst == entity and last.src in schema.many_to_one(base):
        # Count the reference where the activity is recorded (orders.customer_id), without
        # joining the entity's own table just to count its keys.
        joins.need(last.src)
        return f"COUNT(DISTINCT {a[last.src]}.{last.src_col})"
    joins.need(entity)
    return f"COUNT(DISTINCT {a[entity]}.{key})"


def _measure_expr(m: Measure, schema: Schema, base: str, joins: _Joins) -> str | None:
    a = schema.aliases
    if m.agg == "ratio":
        assert m.num is not None and m.den is not None
        num = _measure_expr(m.num, schema, base, joins)
        den = _measure_expr(m.den, schema, base, joins)
        return f"{num} / {den}" if num and den else None
    if m.agg == "count_entity":
        assert m.table is not None
        return _count_expr(m.table, schema, base, joins)
    assert m.table is not None and m.column is not None
    joins.need(m.table)
    return f"{m.agg.upper()}({a[m.table]}.{m.column})"


def _filter_sql(
    table: str, column: str, values: tuple[str, ...], negate: bool, a: dict[str, str]
) -> str:
    col = f"{a[table]}.{column}"
    if len(values) == 1:
        return f"{col} {'<>' if negate else '='} {_quote(values[0])}"
    listed = ", ".join(_quote(v) for v in values)
    return f"{col} {'NOT IN' if negate else 'IN'} ({listed})"


def _time_sql(r: TimeRange, expr: str, col: Column) -> str:
    if r.kind == "years":
        if len(r.values) == 1:
            return f"year({expr}) = {r.values[0]}"
        return f"year({expr}) IN ({', '.join(str(v) for v in r.values)})"
    if r.kind == "year_between":
        return f"year({expr}) BETWEEN {r.a} AND {r.b}"
    if r.kind == "since":
        return f"{expr} >= DATE '{r.a}-01-01'"
    if r.kind == "before":
        return f"{expr} < DATE '{r.a}-01-01'"
    if r.kind == "quarter":
        if r.a:
            return f"year({expr}) = {r.a} AND quarter({expr}) = {r.b}"
        return f"quarter({expr}) = {r.b}"
    if r.kind == "month":
        if r.a:
            return f"year({expr}) = {r.a} AND month({expr}) = {r.b}"
        return f"month({expr}) = {r.b}"
    # "last N units" counts whole buckets back from the newest date in the data, not from today,
    # so the demo's fixed 2021-2024 range answers it.
    latest = f"(SELECT MAX({col.name}) FROM {col.table})"
    n = max(r.a - 1, 0)
    if n == 0:
        return f"{expr} >= date_trunc('{r.unit}', {latest})"
    step = {"quarter": ("month", 3 * n), "week": ("day", 7 * n)}.get(r.unit, (r.unit, n))
    return f"{expr} >= date_trunc('{r.unit}', {latest}) - INTERVAL {step[1]} {step[0].upper()}"


LOOKUP_COLUMNS = ("matched_table", "matched_column", "matched_value")


def build_value_lookup(schema: Schema, phrases: tuple[str, ...]) -> str | None:
    """A query that finds which text columns hold any of `phrases` (case-insensitively), for
    values the catalog's samples do not list."""
    if not phrases:
        return None
    listed = ", ".join(_quote(p) for p in phrases)
    parts = []
    for table, cols in schema.tables.items():
        for c in cols:
            if not c.is_text:
                continue
            # Plain lower/trim so the lookup reads the same on DuckDB and Spark SQL.
            norm = f"lower(trim({c.name}))"
            parts.append(
                f"SELECT DISTINCT '{table}' AS {LOOKUP_COLUMNS[0]}, '{c.name}' AS "
                f"{LOOKUP_COLUMNS[1]}, {c.name} AS {LOOKUP_COLUMNS[2]} FROM {table} "
                f"WHERE {norm} IN ({listed})"
            )
    if not parts:
        return None
    return "\nUNION ALL\n".join(parts) + "\nLIMIT 20"

"""Finding words of a question among the data's values ("from Berlin", "Acme Corp."), for text
columns whose catalog samples do not list every value. The statement is bounded (few columns,
few phrases, few rows) and is run by the caller on the engine's internal path: it is the analyst's
own look-up, never a run's SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from analyst.schema import Col, Schema, quote, sql_literal

# (table, column, value) rows for a look-up statement.
LookupRunner = Callable[[str], Sequence[Sequence[object]]]
MAX_COLUMNS = 40
MAX_PHRASES = 24
MAX_ROWS = 50


def lookup_columns(schema: Schema) -> list[Col]:
    """Text columns that may hold values the catalog does not list."""
    cols = [
        c
        for c in schema.all_columns()
        if c.is_text and c.role in ("dimension", "geography", "identifier") and not c.fully_sampled
    ]
    # Low-cardinality columns first: a city is likelier meant than a person's name.
    cols.sort(key=lambda c: (c.role == "identifier", c.distinct_count or 10**12))
    return cols[:MAX_COLUMNS]


def lookup_sql(schema: Schema, phrases: Iterable[str]) -> str | None:
    wanted = list(dict.fromkeys(p.strip().lower() for p in phrases if p.strip()))[:MAX_PHRASES]
    cols = lookup_columns(schema)
    if not wanted or not cols:
        return None
    listed = ", ".join(sql_literal(p) for p in wanted)
    spark = schema.catalog.dialect == "spark"
    text = "STRING" if spark else "VARCHAR"

    def ident(name: str) -> str:
        return f"`{name}`" if spark else quote(name)

    parts = [
        f"SELECT DISTINCT {sql_literal(c.table)} AS t, {sql_literal(c.name)} AS c, "
        f"CAST({ident(c.name)} AS {text}) AS v "
        f"FROM {c.table if spark else schema.from_item(c.table).split(' AS ')[0]} "
        f"WHERE lower(trim({ident(c.name)})) IN ({listed})"
        for c in cols
    ]
    return "\nUNION ALL\n".join(parts) + f"\nLIMIT {MAX_ROWS}"


def with_values(schema: Schema, rows: Iterable[Sequence[object]]) -> Schema:
    """A copy of `schema` whose columns also list these found values as samples."""
    extra: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if len(row) != 3:
            continue
        table, column, value = (str(x) for x in row)
        if schema.column(table, column) is not None:
            extra.setdefault((table, column), []).append(value)
    if not extra:
        return schema
    clone = Schema(schema.catalog, {}, schema.edges, schema.aliases, schema.metrics)
    for name, t in schema.tables.items():
        cols = [
            replace(c, samples=tuple(dict.fromkeys((*c.samples, *extra.get(c.ref, ())))))
            for c in t.columns
        ]
        key = next((c for c in cols if t.key is not None and c.name == t.key.name), None)
        clone.tables[name] = replace(t, columns=cols, key=key)
    return clone

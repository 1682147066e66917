"""Questions worth suggesting on a catalog, in the analyst's own words: named metrics by a
dimension, over time and as a top 10, measures by a dimension, counts of an entity. Only
candidates; the caller keeps those the analyst answers (`Analyst.suggestions`)."""

from __future__ import annotations

from itertools import chain, zip_longest

from analyst.schema import Col, Schema, Table

# Above this many values a dimension makes a poor bar chart; it still names rows in a top 10.
FEW_VALUES = 50
TOP_N = 10


def candidate_questions(schema: Schema) -> list[str]:
    """Candidates of every shape, interleaved so that the first few differ in shape."""
    shapes = [
        _metric_by_dimension(schema),
        _over_time(schema),
        _top_rows(schema),
        _measure_by_dimension(schema),
        _count_by_dimension(schema),
        _how_many(schema),
    ]
    mixed = (q for q in chain.from_iterable(zip_longest(*shapes)) if q)
    return [q[:1].upper() + q[1:] for q in dict.fromkeys(mixed)]


def _by_size(schema: Schema) -> list[Table]:
    return sorted(schema.tables.values(), key=lambda t: -(t.row_count or 0))


def _dimensions(schema: Schema, table: str) -> list[Col]:
    """Groupable columns with few values of `table` and of the tables it references, nearest
    and fewest values first (text before numbers)."""
    reach = schema.many_to_one(table)
    found = [
        (distance, c)
        for name, distance in reach.items()
        for c in schema.tables[name].columns
        if c.is_groupable and not c.is_key and (c.distinct_count or FEW_VALUES + 1) <= FEW_VALUES
    ]
    found.sort(key=lambda dc: (dc[0], not dc[1].is_text, dc[1].distinct_count or 0))
    return [c for _, c in found]


def _has_date(schema: Schema, table: str) -> bool:
    return any(schema.time_columns(name) for name in schema.many_to_one(table))


def _measure_phrase(col: Col) -> str:
    if col.label.split()[0] in ("total", "average", "sum", "mean"):
        return col.label
    return f"{'average' if col.aggregation == 'avg' else 'total'} {col.label}"


def _metric_by_dimension(schema: Schema) -> list[str]:
    out = []
    for index, metric in enumerate(schema.metrics):
        dims = _dimensions(schema, metric.table)
        if dims:
            # One metric per dimension in turn, so the suggestions cut the data different ways.
            out.append(f"{metric.name} by {dims[index % len(dims)].label}")
    return out


def _over_time(schema: Schema) -> list[str]:
    out = [f"monthly {m.name}" for m in schema.metrics if _has_date(schema, m.table)]
    for table in _by_size(schema):
        times = schema.time_columns(table.name)
        if not times:
            continue
        if times[0].is_date:
            out.append(f"monthly number of {table.plural}")
            measures = [c for c in table.columns if c.is_measure]
            if measures:
                out.append(f"monthly {_measure_phrase(measures[0])}")
        else:
            out.append(f"number of {table.plural} by year")
    return out


def _top_rows(schema: Schema) -> list[str]:
    """A top 10 of an entity with a name column, by a metric over it or by how many rows of a
    table that references it."""
    out = []
    for metric in schema.metrics:
        for name in schema.many_to_one(metric.table):
            table = schema.tables[name]
            counts_it = metric.name.lower() in (table.plural, table.singular)
            if name != metric.table and _named(table) and not counts_it:
                out.append(f"top {TOP_N} {table.plural} by {metric.name}")
    for table in _by_size(schema):
        if not _named(table):
            continue
        for edge in schema.referencing(table.name):
            out.append(f"top {TOP_N} {table.plural} by number of {schema.tables[edge.src].plural}")
    return out


def _named(table: Table) -> bool:
    col = table.label_column
    return col is not None and col is not table.key and (col.distinct_count or 0) > TOP_N


def _measure_by_dimension(schema: Schema) -> list[str]:
    out = []
    for table in _by_size(schema):
        measures = [c for c in table.columns if c.is_measure]
        dims = _dimensions(schema, table.name)
        if measures and dims:
            out.append(f"{_measure_phrase(measures[0])} by {dims[0].label}")
    return out


def _count_by_dimension(schema: Schema) -> list[str]:
    out = []
    for table in _by_size(schema):
        own = [c for c in _dimensions(schema, table.name) if c.table == table.name]
        if own:
            out.append(f"number of {table.plural} by {own[0].label}")
    return out


def _how_many(schema: Schema) -> list[str]:
    return [f"how many {table.plural} are there" for table in _by_size(schema)]

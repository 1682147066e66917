"""What the analyst says: why it declines, what it asks back, how it explains a query, and which
questions it can answer on this catalog. One definition of each text."""

from __future__ import annotations

from analyst.intent import Clarify, Decline, Intent, Measure
from analyst.schema import Schema
from analyst.sql import BuiltQuery

DECLINE_PREFIX = "I can't answer that"


def decline_text(decline: Decline) -> str:
    """The message of a declined question, in the analyst's words: why, and what was understood.
    The questions to ask instead travel beside it (the portal shows them as buttons)."""
    if decline.reason == "destructive":
        text = (
            f"{DECLINE_PREFIX}: Vizorch only reads data, it never changes or deletes it, so this "
            f"request ({decline.detail}) was not run."
        )
    elif decline.reason == "out_of_scope":
        text = (
            f"{DECLINE_PREFIX}: {decline.detail} is outside what Vizorch does; it answers "
            "questions about your data with a query and a chart."
        )
    elif decline.reason == "unsupported":
        text = f"{DECLINE_PREFIX}: the built-in analyst does not compute {decline.detail}."
    elif decline.detail == "no measure":
        text = f"{DECLINE_PREFIX}: I could not find anything to measure or count in the question."
    else:
        text = f"{DECLINE_PREFIX}: {decline.detail}."
    if decline.understood:
        text += f" I understood: {decline.understood}."
    return text


def suggestions_for(decline: Decline, suggestions: list[str]) -> list[str]:
    """The questions offered instead of a declined one (none after a destructive request)."""
    return [] if decline.reason == "destructive" else suggestions


def failed_query_text(detail: str) -> str:
    return (
        f"{DECLINE_PREFIX}: the query I wrote failed ({detail}) and I cannot repair it. "
        "Try asking it another way."
    )


def clarify_text(clarify: Clarify) -> str:
    return clarify.question


def measure_sql(m: Measure, schema: Schema) -> str:
    """How a measure is computed, in the catalog's terms (table.column)."""
    if m.kind == "ratio":
        assert m.num is not None and m.den is not None
        return f"{measure_sql(m.num, schema)} / {measure_sql(m.den, schema)}"
    if m.kind == "metric":
        assert m.metric is not None
        return m.metric.expression
    if m.kind == "count":
        assert m.table is not None
        key = schema.tables[m.table].key
        return f"COUNT(DISTINCT {m.table}.{key.name})" if key else f"COUNT(*) of {m.table}"
    if m.kind == "buckets":
        return f"COUNT(DISTINCT {m.grain})"
    assert m.col is not None
    if m.kind == "distinct":
        return f"COUNT(DISTINCT {m.col.table}.{m.col.name})"
    return f"{(m.agg or 'sum').upper()}({m.col.table}.{m.col.name})"


def reasoning(intent: Intent, query: BuiltQuery, schema: Schema) -> str:
    """The thought before the query runs: what is measured, grouped, filtered."""
    parts = []
    measures = "; ".join(
        f"{m.label.replace('_', ' ')} = {measure_sql(m, schema)}" for m in intent.measures
    )
    parts.append(f"Measuring {measures}.")
    if intent.grain and query.time_col is not None:
        col = query.time_col
        parts.append(f"Bucketing {col.table}.{col.name} by {intent.grain}, oldest first.")
    if intent.dimensions:
        dims = ", ".join(f"{d.table}.{d.name}" for d in intent.dimensions)
        parts.append(f"Grouping by {dims}.")
    if intent.filters:
        conds = ", ".join(
            f"{f.col.name} {'not ' if f.negate else ''}= {' or '.join(f.values)}"
            for f in intent.filters
        )
        parts.append(f"Keeping only {conds}.")
    if intent.time_range and query.time_col is not None:
        parts.append(f"Only {query.time_col.name} {intent.time_range.describe()}.")
    if intent.top_n:
        word = "bottom" if intent.order == "asc" else "top"
        parts.append(f"Keeping the {word} {intent.top_n}.")
    if intent.growth:
        parts.append("Adding the change against the previous period.")
    parts.append("Running the query.")
    return " ".join(parts)


CHART_REASONS = {
    "line": "A line chart shows how it moves over time.",
    "area": "An area chart shows how it moves over time.",
    "bar": "A bar chart compares the categories side by side.",
    "pie": "A pie chart shows each part's share of the whole.",
    "scatter": "A scatter plot shows how the two measures relate.",
    "kpi": "It is a single number, so it is shown as a KPI card.",
    "table": "A table shows every column as it is.",
    "multiples": (
        "There are more series than one chart shows readably, so each gets a small chart of its"
        " own, all on one scale."
    ),
}


def result_note(
    row_count: int | None, chart: str, asked: str | None, many_series: bool = False
) -> str:
    if row_count == 0:
        return "The query returned no rows, so the chart will be empty."
    rows = f"{row_count} row{'s' if row_count != 1 else ''}" if row_count else "the rows"
    shown = "small multiples" if chart == "multiples" else f"a {chart} chart"
    reason = f"Showing it as {shown}, as asked." if asked == chart else CHART_REASONS[chart]
    if many_series and asked != chart and chart == "table":
        reason = "There are too many series for one chart or a panel each, so a table lists them."
    return f"The query returned {rows}. {reason}"

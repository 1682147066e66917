"""The offline analyst: one semantic catalog in, for each question either a query and the chart
that shows its result, a question back (`Clarify`), or a reasoned refusal (`Decline`). It reads
nothing but the catalog, plus the values its bounded look-ups find in the data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from analyst import charts, replies
from analyst.intent import Clarify, Decline, Intent, NeedsLookup, parse_question
from analyst.lookup import LookupRunner, lookup_sql, with_values
from analyst.schema import Schema, schema_for
from analyst.sql import BuiltQuery, build_sql
from analyst.suggestions import candidate_questions
from analyst.vocabulary import CHART_TYPES, COLOR_SCHEMES, ChartType, normalize
from executors.catalog.model import SemanticCatalog


@dataclass(frozen=True)
class Answer:
    intent: Intent
    query: BuiltQuery
    chart: ChartType
    schema: Schema

    @property
    def sql(self) -> str:
        return self.query.sql

    def reasoning(self) -> str:
        return replies.reasoning(self.intent, self.query, self.schema)

    def spec(self) -> charts.ChartSpec:
        return charts.build_spec(self.intent, self.query, self.chart, self.schema)


@dataclass(frozen=True)
class Component:
    """A component and its parameters for data that exists, and a sentence on it."""

    note: str
    code: str
    params: dict[str, Any]


Plan = Answer | Clarify | Decline

# Candidates tried per suggestion wanted, bounding the look-ups a catalog's suggestions cost.
MAX_TRIES_PER_SUGGESTION = 4


@dataclass
class Analyst:
    catalog: SemanticCatalog
    lookup: LookupRunner | None = None
    schema: Schema = field(init=False)
    _found: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.schema = schema_for(self.catalog)

    # --- questions --------------------------------------------------------------------------
    def plan(self, question: str, earlier: Sequence[str] = ()) -> Plan:
        """The answer to `question`, refining the answered questions before it (oldest first)."""
        previous: Intent | None = None
        for text in earlier:
            parsed = self._parse(text, previous)
            if isinstance(parsed, Intent):
                previous = parsed
        parsed = self._parse(question, previous)
        if isinstance(parsed, Clarify):
            return parsed
        if isinstance(parsed, Decline):
            return parsed
        assert isinstance(parsed, Intent)
        schema = self.schema
        built = build_sql(parsed, schema)
        if isinstance(built, Clarify):
            return built
        if isinstance(built, Decline):
            return built
        return Answer(parsed, built, charts.choose_chart(parsed, schema), schema)

    def _parse(self, question: str, previous: Intent | None) -> Intent | Clarify | Decline:
        parsed = parse_question(question, self.schema, previous)
        if not isinstance(parsed, NeedsLookup):
            return parsed
        schema = with_values(self.schema, self._look_up(parsed.phrases))
        again = parse_question(question, schema, previous, looked_up=True)
        assert not isinstance(again, NeedsLookup)
        return again

    def _look_up(self, phrases: Sequence[str]) -> list[tuple[str, str, str]]:
        """Values of the data equal to these phrases, through the caller's internal path."""
        key = "\n".join(phrases)
        if key in self._found:
            return self._found[key]
        found: list[tuple[str, str, str]] = []
        sql = lookup_sql(self.schema, phrases)
        if sql is not None and self.lookup is not None:
            try:
                found = [(str(r[0]), str(r[1]), str(r[2])) for r in self.lookup(sql)]
            except Exception:
                found = []
        self._found[key] = found
        return found

    def decline_text(self, decline: Decline) -> str:
        return replies.decline_text(decline)

    # --- what it can answer -----------------------------------------------------------------
    def suggestions(self, limit: int = 3) -> list[str]:
        """Questions this catalog answers, each checked by planning it as a question (value
        look-ups included): a suggestion is never declined nor asked back."""
        out: list[str] = []
        for question in candidate_questions(self.schema)[: limit * MAX_TRIES_PER_SUGGESTION]:
            if len(out) >= limit:
                break
            if isinstance(self.plan(question), Answer):
                out.append(question)
        return out

    # --- components -------------------------------------------------------------------------
    def component(self, answer: Answer, row_count: int | None) -> Component:
        spec = answer.spec()
        many = (charts.series_count(answer.intent) or 0) > charts.MAX_PANELS
        note = replies.result_note(row_count, answer.chart, answer.intent.chart, many)
        return Component(note, charts.render_component(spec), charts.build_params(spec, row_count))

    def revise(
        self,
        request: str,
        columns: Sequence[tuple[str, str]],
        row_count: int,
        current_code: str = "",
        current_params: dict[str, Any] | None = None,
    ) -> Component:
        """UI-only: a component for data that exists (generate-ui, render-error repair), from its
        columns and the request's chart words; no query runs."""
        return revise_component(request, columns, row_count, current_code, current_params)


# --------------------------------------------------------------------------------------------
# UI-only: a new component for existing data


def revise_component(
    request: str,
    columns: Sequence[tuple[str, str]],
    row_count: int,
    current_code: str = "",
    current_params: dict[str, Any] | None = None,
) -> Component:
    words = set(normalize(request).split())
    text = " " + normalize(request) + " "
    previous = charts.spec_of(current_code) if current_code else None
    values = dict((current_params or {}).get("values") or {})
    spec = _spec_from_columns(columns, previous, values)
    asked: ChartType | None = None
    from analyst.vocabulary import CHART_PHRASES, COLOR_PHRASES

    for phrase, chart in sorted(CHART_PHRASES.items(), key=lambda kv: -len(kv[0])):
        if f" {phrase} " in text:
            asked = chart
            break
    chart = asked or (spec.chart_type if spec.chart_type in CHART_TYPES else "bar")
    if chart not in charts.chart_options(spec):
        chart = spec.chart_type
    color = values.get("color_scheme") or "default"
    for phrase, scheme in COLOR_PHRASES.items():
        if f" {phrase} " in text:
            color = scheme
    labels = bool(values.get("show_labels", spec.show_labels))
    if {"labels", "label"} & words:
        labels = not ({"hide", "no", "without", "remove"} & words)
    title = str(values.get("title") or spec.title)
    quoted = re.search(
        r"(?:title|call it|name it)\s+[\"\u201c]([^\"\u201d]+)[\"\u201d]", request, re.I
    )
    if quoted:
        title = quoted[1]
    spec = charts.ChartSpec(
        chart_type=chart,
        title=title,
        x=spec.x,
        x_is_time=spec.x_is_time,
        grain=spec.grain,
        series=spec.series,
        series_grain=spec.series_grain,
        values=spec.values,
        percent_values=spec.percent_values,
        top_n=spec.top_n,
        sort=spec.sort,
        show_labels=labels,
        color_scheme=color if color in COLOR_SCHEMES else "default",
        additive=spec.additive,
    )
    params = charts.build_params(spec, row_count)
    for key in ("top_n", "sort", "x_label", "y_label", "show_legend"):
        if key in values and key in params["values"]:
            params["values"][key] = values[key]
    note = f"Here is a {chart} chart of the existing data."
    return Component(note, charts.render_component(spec), params)


_NUMERIC_TYPES = re.compile(r"INT|DOUBLE|DECIMAL|FLOAT|REAL|NUMERIC", re.I)
_TIME_TYPES = re.compile(r"DATE|TIMESTAMP", re.I)


def _spec_from_columns(
    columns: Sequence[tuple[str, str]], previous: dict[str, Any] | None, values: dict[str, Any]
) -> charts.ChartSpec:
    """Column roles from the component being revised, else from the result's column types."""
    chart_type = str(values.get("chart_type") or "")
    if previous is not None:
        if "value" in previous:
            return _spec(chart_type or "kpi", None, False, None, None, [previous["value"]], [])
        if "y" in previous:
            return _spec(
                "scatter", previous.get("label"), False, None, None,
                [previous["x"], previous["y"]], previous.get("percent") or [],
            )  # fmt: skip
        return _spec(
            chart_type or previous.get("chartType") or "bar",
            previous.get("x"),
            bool(previous.get("xIsTime")),
            previous.get("grain"),
            previous.get("series"),
            list(previous.get("values") or []),
            list(previous.get("percent") or []),
            series_grain=previous.get("seriesGrain"),
            sort=str(previous.get("sort") or "desc"),
            additive=list(previous.get("additive") or []),
        )
    names = [n for n, _ in columns]
    numeric = [n for n, t in columns if _NUMERIC_TYPES.search(t or "")]
    times = [n for n, t in columns if _TIME_TYPES.search(t or "")]
    others = [n for n in names if n not in numeric and n not in times]
    if times:
        x = times[0]
        return _spec(chart_type or "line", x, True, "day", None, numeric[:3] or names[1:2], [])
    if others and numeric:
        return _spec(chart_type or "bar", others[0], False, None, None, numeric[:3], [])
    if numeric and len(names) == 1:
        return _spec(chart_type or "kpi", None, False, None, None, numeric[:1], [])
    if len(names) >= 2:
        return _spec(chart_type or "bar", names[0], False, None, None, names[1:2], [])
    return _spec("table", None, False, None, None, [], [])


def _spec(
    chart_type: str,
    x: str | None,
    x_is_time: bool,
    grain: str | None,
    series: str | None,
    values: list[str],
    percent: list[str],
    *,
    series_grain: str | None = None,
    sort: str = "desc",
    additive: list[str] | None = None,
) -> charts.ChartSpec:
    chart = chart_type if chart_type in CHART_TYPES else "bar"
    return charts.ChartSpec(
        chart_type=chart,  # type: ignore[arg-type]
        title="Chart",
        x=x,
        x_is_time=x_is_time,
        grain=grain,
        series=series,
        series_grain=series_grain,
        values=tuple(values),
        percent_values=tuple(percent),
        top_n=None,
        sort="none" if x_is_time else sort,
        show_labels=False,
        color_scheme="default",
        additive=tuple(additive or ()),
    )

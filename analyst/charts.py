"""Which chart shows an answer, its parameters and its component. The components are the .tsx
files beside this module (checked by the front end's tsc and linter); the analyst writes one out
with its SPEC filled in from the query's column roles, so the chart re-renders from `params`
alone and a control change never needs a new query."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyst.intent import Intent, Measure
from analyst.schema import Schema
from analyst.sql import BuiltQuery
from analyst.vocabulary import ChartType, normalize, plural, singular

CHARTS_DIR = Path(__file__).with_name("charts")
PIE_MAX_PARTS = 8
# Categories a bar chart shows by default; the rest are one "Other" (docs/artifact.md).
MAX_CATEGORIES = 20
# Series one chart shows readably: the eight colours of a scheme, a legend of one or two rows.
# More are small multiples, one panel per series, up to MAX_PANELS (four columns of six on a
# desktop, a column a phone scrolls through); past that panels are too many to compare, and a
# trend keeps its largest lines and "Other" while categories are a table (docs/artifact.md).
MAX_SERIES = 8
MAX_PANELS = 24
# Categories each bar panel of small multiples shows by default (the kit's PANEL_CATEGORIES).
PANEL_CATEGORIES = 10
_SPEC = re.compile(r"// analyst:spec\n.*?// analyst:end\n", re.S)


@dataclass(frozen=True)
class ChartSpec:
    chart_type: ChartType
    title: str
    x: str | None
    x_is_time: bool
    grain: str | None
    series: str | None
    series_grain: str | None
    values: tuple[str, ...]
    percent_values: tuple[str, ...]
    top_n: int | None
    sort: str
    show_labels: bool
    color_scheme: str
    additive: tuple[str, ...] = ()
    x_title: str = ""
    y_title: str = ""


# --------------------------------------------------------------------------------------------
# Choosing


def choose_chart(intent: Intent, schema: Schema) -> ChartType:
    """Line for time, bar for categories, pie for shares of a few parts, scatter for two
    measures, KPI for one number, table otherwise; small multiples when a chart would have more
    series than it shows readably. An explicit request wins when it fits."""
    n_measures = len(intent.measures) + (1 if intent.growth else 0)
    has_time = intent.grain is not None
    n_dims = len(intent.dimensions)
    if intent.chart is not None and chart_fits(intent.chart, intent):
        return intent.chart
    if not has_time and n_dims == 0:
        return "kpi" if n_measures == 1 else "table"
    if intent.compare_years and n_dims <= 1 and n_measures == 1:
        return "bar"
    if has_time:
        if n_dims == 0:
            return "line"
        if n_dims == 1 and n_measures == 1:
            return _many_series("line", series_count(intent), trend=True)
        return "table"
    if n_measures == 2 and n_dims == 1 and not intent.share:
        # Two measures per item: a scatter when they are set against each other or there are
        # many items (one per row of a table); side-by-side bars for a few categories.
        d = intent.dimensions[0]
        label = schema.tables[d.table].label_column
        many = label is not None and label.name == d.name
        return "scatter" if intent.versus or many else "bar"
    if n_measures == 1 and n_dims == 1:
        d = intent.dimensions[0]
        parts = d.distinct_count or len(d.samples)
        wanted = intent.top_n or parts
        if intent.share and wanted and wanted <= PIE_MAX_PARTS:
            return "pie"
        return "bar"
    if n_measures == 1 and n_dims == 2:
        return _many_series("bar", series_count(intent), trend=False)
    return "table"


def _many_series(chart: ChartType, series: int | None, trend: bool) -> ChartType:
    """`chart` while its series stay readable in one chart; small multiples up to MAX_PANELS;
    past that a trend keeps its largest lines and "Other", categories become a table."""
    if series is None or series <= MAX_SERIES:
        return chart
    if series <= MAX_PANELS:
        return "multiples"
    return chart if trend else "table"


def series_count(intent: Intent) -> int | None:
    """About how many series the answer has: the distinct values of its last dimension (the
    series axis) the question keeps, by the catalog's profile; None when it does not say."""
    if not intent.dimensions:
        return None
    d = intent.dimensions[-1]
    count = d.distinct_count
    for f in intent.filters:
        if (f.col.table, f.col.name) != (d.table, d.name):
            continue
        if not f.negate:
            count = len(f.values) if count is None else min(count, len(f.values))
        elif count is not None:
            count = max(0, count - len(f.values))
    return count


def chart_fits(chart: ChartType, intent: Intent) -> bool:
    n_measures = len(intent.measures)
    n_axes = len(intent.dimensions) + (1 if intent.grain else 0)
    if chart == "table":
        return True
    if chart == "kpi":
        return n_axes == 0
    if chart == "scatter":
        return n_measures >= 2
    if chart == "pie":
        return n_axes == 1 and n_measures == 1
    if chart == "multiples":
        return n_axes == 2 and n_measures + (1 if intent.growth else 0) == 1
    return n_axes >= 1


def chart_options(spec: ChartSpec) -> list[str]:
    """The chart types this data can be switched to without a new query."""
    if spec.chart_type == "kpi":
        return ["kpi", "table"]
    if spec.chart_type == "scatter":
        return ["scatter", "table"]
    if spec.x is None:
        return ["table"]
    if spec.x_is_time:
        options = ["line", "area", "bar", "table"]
    elif spec.series is None and len(spec.values) == 1:
        options = ["bar", "line", "area", "pie", "table"]
    else:
        options = ["bar", "line", "area", "table"]
    if spec.series is not None:
        options.insert(-1, "multiples")
    return options


def build_spec(
    intent: Intent, query: BuiltQuery, chart_type: ChartType, schema: Schema
) -> ChartSpec:
    axes = list(query.axes)
    x = axes[0] if axes else None
    series = axes[1].name if len(axes) > 1 else None
    series_grain = axes[1].grain if len(axes) > 1 and axes[1].kind == "time" else None
    values = query.values
    if intent.growth and len(values) > 1:
        values = values[-1:]
    if x is None or x.kind == "time":
        sort = "none"
    elif query.ordered_by_value:
        sort = "asc" if intent.order == "asc" else "desc"
    else:
        sort = "desc"
    return ChartSpec(
        chart_type=chart_type,
        title=title_for(intent, schema),
        x=x.name if x else None,
        x_is_time=bool(x and x.kind == "time"),
        grain=x.grain if x else None,
        series=series,
        series_grain=series_grain,
        values=tuple(values),
        percent_values=tuple(v for v in values if v in query.percent_values),
        top_n=intent.top_n,
        sort=sort,
        show_labels=bool(intent.show_labels)
        if intent.show_labels is not None
        else (chart_type == "bar" and 0 < (intent.top_n or 99) <= 10),
        color_scheme=intent.color_scheme or "default",
        additive=tuple(v for v in values if v in query.additive_values),
        x_title=_axis_title(intent, schema, x),
        y_title=_value_title(intent, schema, values),
    )


def _axis_title(intent: Intent, schema: Schema, x: Any) -> str:
    if x is None:
        return ""
    if x.kind == "time":
        return _words(x.grain or "date")
    named = [d for d in intent.dimensions if d.name == x.name]
    return _dim_title(schema, named[0]) if named else _words(normalize(x.name))


def _value_title(intent: Intent, schema: Schema, values: tuple[str, ...]) -> str:
    if len(values) != 1 or not intent.measures:
        return ""
    title = measure_title(intent.measures[0], schema, intent.new_entities)
    return f"{title} Growth" if intent.growth else title


# --------------------------------------------------------------------------------------------
# Parameters


def build_params(spec: ChartSpec, row_count: int | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": spec.title,
        "chart_type": spec.chart_type,
        "color_scheme": spec.color_scheme,
    }
    controls: list[dict[str, Any]] = [
        {"name": "title", "kind": "text", "label": "Title"},
        {
            "name": "chart_type",
            "kind": "select",
            "label": "Chart type",
            "options": chart_options(spec),
        },
        {"name": "color_scheme", "kind": "color_scheme", "label": "Colors"},
    ]
    if spec.chart_type in ("kpi", "table") and spec.x is None:
        return {"values": values, "controls": controls}
    categorical = spec.x is not None and not spec.x_is_time and spec.chart_type != "scatter"
    if categorical:
        # Up to every row of the data; by default no more bars than stay readable.
        upper = max(row_count or 0, spec.top_n or 0, 10)
        many = row_count is not None and row_count > MAX_CATEGORIES
        # A bar panel of small multiples has room for fewer bars than a chart of its own.
        default = PANEL_CATEGORIES if spec.chart_type == "multiples" else MAX_CATEGORIES
        values["top_n"] = spec.top_n or (default if many or spec.chart_type == "multiples" else 0)
        values["sort"] = spec.sort
        controls.append(
            {
                "name": "top_n",
                "kind": "number",
                "label": "Show top N (0 = all)",
                "min": 0,
                "max": upper,
                "step": 1,
            }
        )
        controls.append(
            {"name": "sort", "kind": "select", "label": "Sort", "options": ["desc", "asc", "none"]}
        )
    values["show_labels"] = spec.show_labels
    controls.append({"name": "show_labels", "kind": "switch", "label": "Value labels"})
    if spec.chart_type != "scatter" and (
        spec.series or len(spec.values) > 1 or spec.chart_type == "pie"
    ):
        values["show_legend"] = True
        controls.append({"name": "show_legend", "kind": "switch", "label": "Legend"})
    if spec.chart_type != "pie":
        values["x_label"] = spec.x_title
        values["y_label"] = spec.y_title
        controls.append({"name": "x_label", "kind": "text", "label": "X axis label"})
        controls.append({"name": "y_label", "kind": "text", "label": "Y axis label"})
    return {"values": values, "controls": controls}


# --------------------------------------------------------------------------------------------
# Titles


def _words(text: str) -> str:
    small = {"of", "by", "per", "in", "and", "vs"}
    return " ".join(w if w in small else w[:1].upper() + w[1:] for w in text.split())


def measure_title(m: Measure, schema: Schema, new: bool = False) -> str:
    if m.kind == "count":
        assert m.table is not None
        noun = schema.tables[m.table].plural
        return ("New " if new else "Number of ") + _words(noun)
    if m.kind == "metric":
        assert m.metric is not None
        return _words(m.metric.name)
    if m.kind == "ratio":
        assert m.num is not None and m.den is not None
        return f"{measure_title(m.num, schema)} per {measure_title(m.den, schema)}"
    if m.kind == "buckets":
        return f"Number of {_words(plural(m.grain or 'day'))}"
    assert m.col is not None
    label = _words(normalize(m.col.label))
    if m.kind == "distinct":
        return f"Number of Distinct {_words(plural(normalize(m.col.label)))}"
    prefix = {"avg": "Average", "min": "Minimum", "max": "Maximum"}.get(m.agg or "")
    return f"{prefix} {label}" if prefix else label


def _dim_title(schema: Schema, d: Any) -> str:
    table = schema.tables[d.table]
    label = table.label_column
    if label is not None and label.name == d.name:
        return _words(table.singular)
    return _words(normalize(d.label))


def title_for(intent: Intent, schema: Schema) -> str:
    joiner = " vs " if len(intent.measures) == 2 and intent.dimensions else " and "
    measures = joiner.join(measure_title(m, schema, intent.new_entities) for m in intent.measures)
    if (
        not intent.dimensions
        and intent.grain is None
        and len(intent.measures) == 1
        and intent.measures[0].kind == "agg"
        and intent.measures[0].agg == "sum"
    ):
        measures = f"Total {measures}"
    if intent.growth:
        measures += " Growth"
    if intent.share:
        measures = f"Share of {measures}"
    grain_word = {
        "day": "Daily",
        "week": "Weekly",
        "month": "Monthly",
        "quarter": "Quarterly",
        "year": "Yearly",
    }
    dims = [_dim_title(schema, d) for d in intent.dimensions]
    if intent.top_n is not None and dims:
        word = "Top" if intent.order != "asc" else "Bottom"
        head = dims[0] if intent.top_n == 1 else _words(plural(singular(dims[0].lower())))
        title = f"{word} {intent.top_n} {head} by {measures}"
        if len(dims) > 1:
            title += " and " + ", ".join(dims[1:])
    else:
        title = measures
        if intent.grain is not None:
            title = f"{grain_word[intent.grain]} {title}"
        if dims:
            title += " by " + " and ".join(dims)
    kept = [" & ".join(f.values) for f in intent.filters if not f.negate]
    dropped = [" & ".join(f.values) for f in intent.filters if f.negate]
    if kept:
        title += " \u2014 " + ", ".join(kept)
    if dropped:
        title += " excluding " + ", ".join(dropped)
    if intent.time_range is not None:
        title += " " + intent.time_range.describe()
    return title


# --------------------------------------------------------------------------------------------
# Components


@functools.cache
def component_source(name: str) -> str:
    return (CHARTS_DIR / f"{name}.tsx").read_text(encoding="utf-8")


def _with_spec(name: str, spec: dict[str, Any]) -> str:
    source = component_source(name)
    kind = re.search(r"const SPEC: (\w+) =", source)
    line = f"const SPEC: {kind[1] if kind else 'Spec'} = {json.dumps(spec)};\n"
    return _SPEC.sub(lambda _: line, source, count=1)


def render_component(spec: ChartSpec) -> str:
    if spec.chart_type == "kpi":
        value = spec.values[0] if spec.values else ""
        return _with_spec("kpi", {"value": value})
    if spec.chart_type == "scatter":
        x_value, y_value = (spec.values + spec.values)[:2]
        return _with_spec(
            "scatter",
            {"label": spec.x, "x": x_value, "y": y_value, "percent": list(spec.percent_values)},
        )
    if spec.chart_type == "table" and spec.x is None:
        return component_source("table")
    return _with_spec(
        "cartesian",
        {
            "chartType": spec.chart_type,
            "x": spec.x,
            "xIsTime": spec.x_is_time,
            "grain": spec.grain or "day",
            "series": spec.series,
            "seriesGrain": spec.series_grain,
            "values": list(spec.values),
            "sort": spec.sort,
            "additive": list(spec.additive),
        },
    )


def spec_of(code: str) -> dict[str, Any] | None:
    """The SPEC of a component the analyst wrote earlier, to revise it without a query."""
    match = re.search(r"^const SPEC: \w+ = (\{.*\});$", code, re.M)
    if not match:
        return None
    try:
        value = json.loads(match[1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

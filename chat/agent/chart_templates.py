"""Chart components the offline model writes: one well-behaved TSX module per chart family
(cartesian, scatter, KPI, table), specialised by constants that name the query's columns. They use
only the sandbox scope of docs/artifact.md (React, Recharts, @vizorch/kit) and re-render from `params`
alone, so a control change never needs a new query."""

# ruff: noqa: E501 - the TSX templates keep JSX lines whole so the generated code reads well.

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chat.agent.question_parser import ChartType, Intent, Measure, plural, singular
from chat.agent.sql_builder import BuiltQuery

COLOR_SCHEMES = ("default", "blues", "greens", "warm", "cool", "mono", "vivid")


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


def chart_options(spec: ChartSpec) -> list[str]:
    """The chart types this data can be switched to without a new query."""
    if spec.chart_type == "kpi":
        return ["kpi", "table"]
    if spec.chart_type == "scatter":
        return ["scatter", "table"]
    if spec.x is None:
        return ["table"]
    if spec.x_is_time:
        return ["line", "area", "bar", "table"]
    if spec.series is None and len(spec.values) == 1:
        return ["bar", "line", "area", "pie", "table"]
    return ["bar", "line", "area", "table"]


def build_spec(intent: Intent, query: BuiltQuery, chart_type: ChartType) -> ChartSpec:
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
        title=title_for(intent),
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
    )


def render_component(spec: ChartSpec) -> str:
    if spec.chart_type == "kpi":
        return _kpi(spec)
    if spec.chart_type == "scatter":
        return _scatter(spec)
    if spec.chart_type == "table" and spec.x is None:
        return _table(spec)
    return _cartesian(spec)


def build_params(spec: ChartSpec, row_count: int | None = None) -> dict[str, Any]:
    options = chart_options(spec)
    values: dict[str, Any] = {
        "title": spec.title,
        "chart_type": spec.chart_type,
        "color_scheme": spec.color_scheme,
    }
    controls: list[dict[str, Any]] = [
        {"name": "title", "kind": "text", "label": "Title"},
        {"name": "chart_type", "kind": "select", "label": "Chart type", "options": options},
        {"name": "color_scheme", "kind": "color_scheme", "label": "Colors"},
    ]
    if spec.chart_type in ("kpi", "table") and spec.x is None:
        return {"values": values, "controls": controls}
    categorical = spec.x is not None and not spec.x_is_time and spec.chart_type != "scatter"
    if categorical:
        upper = max(row_count or 0, spec.top_n or 0, 10)
        values["top_n"] = spec.top_n or 0
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
        values["x_label"] = ""
        values["y_label"] = ""
        controls.append({"name": "x_label", "kind": "text", "label": "X axis label"})
        controls.append({"name": "y_label", "kind": "text", "label": "Y axis label"})
    return {"values": values, "controls": controls}


# --------------------------------------------------------------------------------------------
# Titles


def _words(name: str) -> str:
    return " ".join(w.capitalize() if w not in ("of", "by", "per") else w for w in name.split("_"))


def measure_title(m: Measure, new: bool = False) -> str:
    if m.agg == "count_entity":
        return ("New " if new else "") + _words(m.label)
    if m.key == "margin":
        return "Profit Margin"
    if m.label.startswith(("avg_", "min_", "max_")):
        prefix = {"avg": "Average", "min": "Minimum", "max": "Maximum"}[m.label[:3]]
        return f"{prefix} {_words(m.label[4:])}"
    return _words(m.label)


def title_for(intent: Intent) -> str:
    joiner = " vs " if len(intent.measures) == 2 and intent.dimensions else " and "
    measures = joiner.join(measure_title(m, intent.new_entities) for m in intent.measures)
    if (
        not intent.dimensions
        and intent.grain is None
        and len(intent.measures) == 1
        and intent.measures[0].agg in ("sum", "count_entity")
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
    dims = [_words(d.column.removesuffix("_name")) for d in intent.dimensions]
    if intent.top_n is not None and dims:
        word = "Top" if intent.order != "asc" else "Bottom"
        head = f"{word} {intent.top_n} {plural(dims[0]) if intent.top_n > 1 else singular(dims[0])}"
        title = f"{head} by {measures}"
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

_HELPERS = """
type QueryResult = { columns: string[]; rows: unknown[][] };
type Params = Record<string, unknown>;

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function formatValue(column: string, value: unknown, compact = true): string {
  const n = toNumber(value);
  if (n === null) return "\\u2013";
  return formatNumber(n, { compact, percent: PERCENT_COLUMNS.includes(column) });
}

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div style={{ width: "100%", height: "100%", minHeight: 320, display: "flex", flexDirection: "column" }}>
      {title ? <h3 style={{ margin: "0 0 8px", fontSize: 16, fontWeight: 600 }}>{title}</h3> : null}
      <div style={{ flex: 1, minHeight: 280 }}>{children}</div>
    </div>
  );
}

function Empty() {
  return (
    <div style={{ height: "100%", display: "flex", alignItems: "center", justifyContent: "center", opacity: 0.7 }}>
      No rows match this question.
    </div>
  );
}
"""


def _const(value: object) -> str:
    return json.dumps(value)


def _cartesian(spec: ChartSpec) -> str:
    return f"""import React, {{ useMemo }} from "react";
import {{
  ResponsiveContainer, BarChart, Bar, LineChart, Line, AreaChart, Area, PieChart, Pie, Cell,
  XAxis, YAxis, CartesianGrid, Tooltip, Legend, LabelList,
}} from "recharts";
import {{ rowsToObjects, formatNumber, formatDate, getColors, downsample, DataTable }} from "@vizorch/kit";

// Column roles, fixed when the query was written.
const X_COLUMN: string = {_const(spec.x)};
const X_IS_TIME: boolean = {_const(spec.x_is_time)};
const TIME_GRAIN = {_const(spec.grain or "day")} as "day" | "week" | "month" | "quarter" | "year";
const SERIES_COLUMN: string | null = {_const(spec.series)};
const SERIES_GRAIN = {_const(spec.series_grain)} as "day" | "week" | "month" | "quarter" | "year" | null;
const VALUE_COLUMNS: string[] = {_const(list(spec.values))};
const PERCENT_COLUMNS: string[] = {_const(list(spec.percent_values))};
const FIRST_VALUE: string = VALUE_COLUMNS[0] ?? "";
const MAX_POINTS = 5000;
{_HELPERS}
type Point = {{ __x: unknown; [key: string]: unknown }};

function formatX(value: unknown): string {{
  if (value === null || value === undefined) return "(none)";
  return X_IS_TIME ? formatDate(value as string, TIME_GRAIN) : String(value);
}}

function valueColumnOf(key: string): string {{
  return SERIES_COLUMN ? FIRST_VALUE : key;
}}

export default function Viz({{ data, params }}: {{ data: QueryResult; params: Params }}) {{
  const chartType = String(params.chart_type ?? {_const(spec.chart_type)});
  const title = String(params.title ?? "");
  const colors = getColors(String(params.color_scheme ?? "default"));
  const topN = Number(params.top_n ?? 0);
  const sort = String(params.sort ?? {_const(spec.sort)});
  const showLabels = Boolean(params.show_labels);
  const showLegend = params.show_legend === undefined ? true : Boolean(params.show_legend);
  const xLabel = params.x_label ? String(params.x_label) : "";
  const yLabel = params.y_label ? String(params.y_label) : "";

  const {{ points, keys }} = useMemo(() => {{
    const keys: string[] = SERIES_COLUMN ? [] : [...VALUE_COLUMNS];
    const byX = new Map<string, Point>();
    for (const row of rowsToObjects(data)) {{
      const id = String(row[X_COLUMN]);
      let point = byX.get(id);
      if (!point) {{
        point = {{ __x: row[X_COLUMN] }};
        byX.set(id, point);
      }}
      if (SERIES_COLUMN) {{
        const raw = row[SERIES_COLUMN];
        const name = raw === null || raw === undefined ? "(none)" : SERIES_GRAIN ? formatDate(raw as string, SERIES_GRAIN) : String(raw);
        if (!keys.includes(name)) keys.push(name);
        point[name] = toNumber(row[FIRST_VALUE]);
      }} else {{
        for (const column of VALUE_COLUMNS) point[column] = toNumber(row[column]);
      }}
    }}
    let points = Array.from(byX.values());
    if (!X_IS_TIME && sort !== "none") {{
      const total = (p: Point) => keys.reduce((sum, k) => sum + (toNumber(p[k]) ?? 0), 0);
      points.sort((a, b) => (sort === "asc" ? total(a) - total(b) : total(b) - total(a)));
    }}
    if (!X_IS_TIME && topN > 0) points = points.slice(0, topN);
    if (points.length > MAX_POINTS) points = downsample(points, MAX_POINTS);
    return {{ points, keys }};
  }}, [data, sort, topN]);

  if (chartType === "table") {{
    return (
      <Frame title={{title}}>
        <DataTable data={{data}} maxRows={{topN > 0 ? topN : undefined}} />
      </Frame>
    );
  }}
  if (points.length === 0) {{
    return (
      <Frame title={{title}}>
        <Empty />
      </Frame>
    );
  }}

  const crowded = !X_IS_TIME && points.length > 8;
  const margin = {{ top: 20, right: 24, bottom: xLabel ? 24 : 8, left: 8 }};
  const tooltipValue = (value: unknown, name: unknown) => formatValue(valueColumnOf(String(name)), value, false);
  const legend = showLegend && keys.length > 1 ? <Legend /> : null;
  const grid = <CartesianGrid strokeDasharray="3 3" vertical={{false}} />;
  const xAxis = (
    <XAxis
      dataKey="__x"
      tickFormatter={{formatX}}
      interval={{crowded ? 0 : "preserveStartEnd"}}
      angle={{crowded ? -35 : 0}}
      textAnchor={{crowded ? "end" : "middle"}}
      height={{crowded ? 80 : 32}}
      label={{xLabel ? {{ value: xLabel, position: "insideBottom", offset: -16 }} : undefined}}
    />
  );
  const yAxis = (
    <YAxis
      tickFormatter={{(v: unknown) => formatValue(valueColumnOf(keys[0] ?? ""), v)}}
      width={{72}}
      label={{yLabel ? {{ value: yLabel, angle: -90, position: "insideLeft" }} : undefined}}
    />
  );
  const tooltip = <Tooltip formatter={{tooltipValue}} labelFormatter={{formatX}} />;
  const labels = (key: string) =>
    showLabels ? (
      <LabelList dataKey={{key}} position="top" formatter={{(v: unknown) => formatValue(valueColumnOf(key), v)}} />
    ) : null;
  const animate = points.length <= 500;

  let chart: React.ReactElement;
  if (chartType === "pie") {{
    const key = keys[0] ?? FIRST_VALUE;
    chart = (
      <PieChart>
        <Pie
          data={{points}}
          dataKey={{key}}
          nameKey="__x"
          innerRadius="45%"
          outerRadius="80%"
          paddingAngle={{1}}
          isAnimationActive={{animate}}
          label={{
            showLabels
              ? (entry: {{ percent?: number; payload?: Point }}) =>
                  `${{formatX(entry.payload?.__x)}}: ${{formatNumber(entry.percent ?? 0, {{ percent: true, decimals: 1 }})}}`
              : false
          }}
        >
          {{points.map((p, i) => (
            <Cell key={{String(p.__x)}} fill={{colors[i % colors.length]}} />
          ))}}
        </Pie>
        <Tooltip formatter={{(v: unknown) => formatValue(valueColumnOf(key), v, false)}} />
        {{showLegend ? <Legend formatter={{(v: unknown) => formatX(v)}} /> : null}}
      </PieChart>
    );
  }} else if (chartType === "line") {{
    chart = (
      <LineChart data={{points}} margin={{margin}}>
        {{grid}}
        {{xAxis}}
        {{yAxis}}
        {{tooltip}}
        {{legend}}
        {{keys.map((key, i) => (
          <Line
            key={{key}}
            type="monotone"
            dataKey={{key}}
            name={{key}}
            stroke={{colors[i % colors.length]}}
            strokeWidth={{2}}
            dot={{points.length <= 60}}
            isAnimationActive={{animate}}
          >
            {{labels(key)}}
          </Line>
        ))}}
      </LineChart>
    );
  }} else if (chartType === "area") {{
    chart = (
      <AreaChart data={{points}} margin={{margin}}>
        {{grid}}
        {{xAxis}}
        {{yAxis}}
        {{tooltip}}
        {{legend}}
        {{keys.map((key, i) => (
          <Area
            key={{key}}
            type="monotone"
            dataKey={{key}}
            name={{key}}
            stackId={{SERIES_COLUMN ? "stack" : undefined}}
            stroke={{colors[i % colors.length]}}
            fill={{colors[i % colors.length]}}
            fillOpacity={{0.25}}
            isAnimationActive={{animate}}
          >
            {{labels(key)}}
          </Area>
        ))}}
      </AreaChart>
    );
  }} else {{
    chart = (
      <BarChart data={{points}} margin={{margin}}>
        {{grid}}
        {{xAxis}}
        {{yAxis}}
        {{tooltip}}
        {{legend}}
        {{keys.map((key, i) => (
          <Bar key={{key}} dataKey={{key}} name={{key}} fill={{colors[i % colors.length]}} radius={{[3, 3, 0, 0]}} isAnimationActive={{animate}}>
            {{labels(key)}}
          </Bar>
        ))}}
      </BarChart>
    );
  }}

  return (
    <Frame title={{title}}>
      <ResponsiveContainer width="100%" height="100%">
        {{chart}}
      </ResponsiveContainer>
    </Frame>
  );
}}
"""


def _scatter(spec: ChartSpec) -> str:
    x_value, y_value = (spec.values + spec.values)[:2]
    return f"""import React, {{ useMemo }} from "react";
import {{ ResponsiveContainer, ScatterChart, Scatter, XAxis, YAxis, CartesianGrid, Tooltip, LabelList }} from "recharts";
import {{ rowsToObjects, formatNumber, getColors, downsample, DataTable }} from "@vizorch/kit";

// Column roles, fixed when the query was written: one point per label, two measures.
const LABEL_COLUMN: string | null = {_const(spec.x)};
const X_VALUE: string = {_const(x_value)};
const Y_VALUE: string = {_const(y_value)};
const PERCENT_COLUMNS: string[] = {_const(list(spec.percent_values))};
const MAX_POINTS = 5000;
{_HELPERS}
type Point = {{ x: number; y: number; name: string }};

export default function Viz({{ data, params }}: {{ data: QueryResult; params: Params }}) {{
  const chartType = String(params.chart_type ?? "scatter");
  const title = String(params.title ?? "");
  const colors = getColors(String(params.color_scheme ?? "default"));
  const showLabels = Boolean(params.show_labels);
  const xLabel = params.x_label ? String(params.x_label) : X_VALUE;
  const yLabel = params.y_label ? String(params.y_label) : Y_VALUE;

  const points = useMemo(() => {{
    const out: Point[] = [];
    for (const row of rowsToObjects(data)) {{
      const x = toNumber(row[X_VALUE]);
      const y = toNumber(row[Y_VALUE]);
      if (x === null || y === null) continue;
      out.push({{ x, y, name: LABEL_COLUMN ? String(row[LABEL_COLUMN]) : "" }});
    }}
    return out.length > MAX_POINTS ? downsample(out, MAX_POINTS) : out;
  }}, [data]);

  if (chartType === "table") {{
    return (
      <Frame title={{title}}>
        <DataTable data={{data}} />
      </Frame>
    );
  }}
  if (points.length === 0) {{
    return (
      <Frame title={{title}}>
        <Empty />
      </Frame>
    );
  }}

  const renderTooltip = ({{ active, payload }}: {{ active?: boolean; payload?: ReadonlyArray<{{ payload?: unknown }}> }}) => {{
    const point = active ? (payload?.[0]?.payload as Point | undefined) : undefined;
    if (!point) return null;
    return (
      <div style={{{{ background: "white", border: "1px solid #ddd", borderRadius: 4, padding: "6px 8px", fontSize: 12 }}}}>
        {{point.name ? <div style={{{{ fontWeight: 600 }}}}>{{point.name}}</div> : null}}
        <div>{{X_VALUE}}: {{formatValue(X_VALUE, point.x, false)}}</div>
        <div>{{Y_VALUE}}: {{formatValue(Y_VALUE, point.y, false)}}</div>
      </div>
    );
  }};

  return (
    <Frame title={{title}}>
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{{{ top: 20, right: 24, bottom: 24, left: 8 }}}}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="x"
            name={{X_VALUE}}
            tickFormatter={{(v: unknown) => formatValue(X_VALUE, v)}}
            label={{{{ value: xLabel, position: "insideBottom", offset: -16 }}}}
          />
          <YAxis
            type="number"
            dataKey="y"
            name={{Y_VALUE}}
            width={{72}}
            tickFormatter={{(v: unknown) => formatValue(Y_VALUE, v)}}
            label={{{{ value: yLabel, angle: -90, position: "insideLeft" }}}}
          />
          <Tooltip cursor={{{{ strokeDasharray: "3 3" }}}} content={{renderTooltip}} />
          <Scatter data={{points}} fill={{colors[0]}} fillOpacity={{0.75}} isAnimationActive={{points.length <= 500}}>
            {{showLabels ? <LabelList dataKey="name" position="top" /> : null}}
          </Scatter>
        </ScatterChart>
      </ResponsiveContainer>
    </Frame>
  );
}}
"""


def _kpi(spec: ChartSpec) -> str:
    value = spec.values[0] if spec.values else ""
    return f"""import React from "react";
import {{ rowsToObjects, formatNumber, KpiCard, DataTable }} from "@vizorch/kit";

// The one number this question asks for.
const VALUE_COLUMN: string = {_const(value)};
const PERCENT_COLUMNS: string[] = {_const(list(spec.percent_values))};
{_HELPERS}
export default function Viz({{ data, params }}: {{ data: QueryResult; params: Params }}) {{
  const chartType = String(params.chart_type ?? "kpi");
  const title = String(params.title ?? "");
  if (chartType === "table") {{
    return (
      <Frame title={{title}}>
        <DataTable data={{data}} />
      </Frame>
    );
  }}
  const row = rowsToObjects(data)[0];
  const value = row ? toNumber(row[VALUE_COLUMN]) : null;
  const percent = PERCENT_COLUMNS.includes(VALUE_COLUMN);
  return (
    <div style={{{{ width: "100%", height: "100%", display: "flex", alignItems: "center", justifyContent: "center" }}}}>
      <KpiCard label={{title}} value={{value ?? "\\u2013"}} format={{{{ percent, decimals: percent ? 1 : 2 }}}} />
    </div>
  );
}}
"""


def _table(spec: ChartSpec) -> str:
    return f"""import React from "react";
import {{ formatNumber, DataTable }} from "@vizorch/kit";

const PERCENT_COLUMNS: string[] = {_const(list(spec.percent_values))};
{_HELPERS}
export default function Viz({{ data, params }}: {{ data: QueryResult; params: Params }}) {{
  const title = String(params.title ?? "");
  const topN = Number(params.top_n ?? 0);
  return (
    <Frame title={{title}}>
      <DataTable data={{data}} maxRows={{topN > 0 ? topN : undefined}} />
    </Frame>
  );
}}
"""

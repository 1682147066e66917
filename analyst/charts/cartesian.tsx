// The offline analyst's chart for one or two categories (or a time axis) and one or more
// measures: bar, line, area, pie or table, switched by params alone. The analyst fills SPEC
// with the query's column roles when it writes the component; nothing else changes.

import {
  type ColumnFormat,
  DataTable,
  downsample,
  downsampleLine,
  formatDate,
  formatNumber,
  getColors,
  niceTicks,
  plotWidth,
  rowsToObjects,
  tickFormatter,
} from "@vizorch/kit";
import type React from "react";
import { useMemo } from "react";
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  LabelList,
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

type Grain = "day" | "week" | "month" | "quarter" | "year";
type Spec = {
  chartType: string;
  x: string;
  xIsTime: boolean;
  grain: Grain;
  series: string | null;
  seriesGrain: Grain | null;
  values: string[];
  percent: string[];
  sort: string;
};
type QueryResult = { columns: string[]; rows: unknown[][] };
type Params = Record<string, unknown>;
type Point = { __x: unknown; [key: string]: unknown };

// analyst:spec
const SPEC: Spec = {
  chartType: "bar",
  x: "label",
  xIsTime: false,
  grain: "day",
  series: null,
  seriesGrain: null,
  values: ["value"],
  percent: [],
  sort: "desc",
};
// analyst:end
const FIRST_VALUE = SPEC.values[0] ?? "";
// The table view's formats, from the catalog (through SPEC): the time axis by its grain, rates as
// percentages.
const TABLE_FORMATS: Record<string, ColumnFormat> = Object.fromEntries([
  ...(SPEC.xIsTime ? [[SPEC.x, { format: "date", grain: SPEC.grain }]] : []),
  ...SPEC.percent.map((column) => [column, { format: "percent" }]),
]);
const MAX_POINTS = 5000;

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function formatValue(column: string, value: unknown, compact = true): string {
  const n = toNumber(value);
  if (n === null) return "\u2013";
  return formatNumber(n, { compact, percent: SPEC.percent.includes(column) });
}

function formatX(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  return SPEC.xIsTime ? formatDate(value as string, SPEC.grain) : String(value);
}

function valueColumnOf(key: string): string {
  return SPEC.series ? FIRST_VALUE : key;
}

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div style={{ width: "100%", height: "100%", minHeight: 320, display: "flex", flexDirection: "column" }}>
      {title ? <h3 style={{ margin: "0 0 8px", fontSize: 16, fontWeight: 600 }}>{title}</h3> : null}
      <div style={{ flex: 1, minHeight: 280 }}>{children}</div>
    </div>
  );
}

export default function Viz({ data, params }: { data: QueryResult; params: Params }) {
  const chartType = String(params.chart_type ?? SPEC.chartType);
  const title = String(params.title ?? "");
  const colors = getColors(String(params.color_scheme ?? "default"));
  const topN = Number(params.top_n ?? 0);
  const sort = String(params.sort ?? SPEC.sort);
  const showLabels = Boolean(params.show_labels);
  const showLegend = params.show_legend === undefined ? true : Boolean(params.show_legend);
  const xLabel = params.x_label ? String(params.x_label) : "";
  const yLabel = params.y_label ? String(params.y_label) : "";

  const { points, keys } = useMemo(() => {
    const keys: string[] = SPEC.series ? [] : [...SPEC.values];
    const byX = new Map<string, Point>();
    for (const row of rowsToObjects(data)) {
      const id = String(row[SPEC.x]);
      let point = byX.get(id);
      if (!point) {
        point = { __x: row[SPEC.x] };
        byX.set(id, point);
      }
      if (SPEC.series) {
        const raw = row[SPEC.series];
        const name =
          raw === null || raw === undefined
            ? "(none)"
            : SPEC.seriesGrain
              ? formatDate(raw as string, SPEC.seriesGrain)
              : String(raw);
        if (!keys.includes(name)) keys.push(name);
        point[name] = toNumber(row[FIRST_VALUE]);
      } else {
        for (const column of SPEC.values) point[column] = toNumber(row[column]);
      }
    }
    let points = Array.from(byX.values());
    const total = (p: Point) => keys.reduce((sum, k) => sum + (toNumber(p[k]) ?? 0), 0);
    // Top N is always the N largest; the sort then orders the ones shown.
    if (!SPEC.xIsTime && topN > 0) points = points.sort((a, b) => total(b) - total(a)).slice(0, topN);
    if (!SPEC.xIsTime && sort !== "none") {
      points.sort((a, b) => (sort === "asc" ? total(a) - total(b) : total(b) - total(a)));
    }
    // A time series needs no more points than the chart has pixels (each keeps its bucket's peaks).
    if (SPEC.xIsTime && points.length > plotWidth()) {
      points = downsampleLine(points, plotWidth(), total);
    } else if (points.length > MAX_POINTS) points = downsample(points, MAX_POINTS);
    return { points, keys };
  }, [data, sort, topN]);

  if (chartType === "table") {
    return (
      <Frame title={title}>
        <DataTable data={data} maxRows={topN > 0 ? topN : undefined} formats={TABLE_FORMATS} />
      </Frame>
    );
  }
  if (points.length === 0) {
    return (
      <Frame title={title}>
        <div style={{ padding: 24, opacity: 0.7 }}>No rows match this question.</div>
      </Frame>
    );
  }

  const crowded = !SPEC.xIsTime && points.length > 8;
  // Given ticks (rather than Recharts' own) let the labels show as many decimals as they need.
  const stacked = chartType === "area" && Boolean(SPEC.series);
  const ticks = niceTicks(
    points.flatMap((p) =>
      stacked ? [keys.reduce((sum, k) => sum + (toNumber(p[k]) ?? 0), 0)] : keys.map((k) => p[k]),
    ),
  );
  const yTick = tickFormatter(ticks, {
    compact: true,
    percent: SPEC.percent.includes(valueColumnOf(keys[0] ?? "")),
  });
  // On a time axis every label is measured unless the interval is a number: about one per 90 px.
  const timeInterval = Math.max(0, Math.ceil(points.length / Math.max(2, plotWidth() / 90)) - 1);
  const margin = { top: 20, right: 24, bottom: xLabel ? 24 : 8, left: 8 };
  const tooltipValue = (value: unknown, name: unknown) =>
    formatValue(valueColumnOf(String(name)), value, false);
  const legend = showLegend && keys.length > 1 ? <Legend /> : null;
  const grid = <CartesianGrid strokeDasharray="3 3" vertical={false} />;
  const xAxis = (
    <XAxis
      dataKey="__x"
      tickFormatter={formatX}
      interval={crowded ? 0 : SPEC.xIsTime ? timeInterval : "preserveStartEnd"}
      angle={crowded ? -35 : 0}
      textAnchor={crowded ? "end" : "middle"}
      height={crowded ? 80 : 32}
      label={xLabel ? { value: xLabel, position: "insideBottom", offset: -16 } : undefined}
    />
  );
  const yAxis = (
    <YAxis
      ticks={ticks}
      domain={[ticks[0] ?? 0, ticks[ticks.length - 1] ?? 0]}
      tickFormatter={yTick}
      width={72}
      label={yLabel ? { value: yLabel, angle: -90, position: "insideLeft" } : undefined}
    />
  );
  const tooltip = <Tooltip formatter={tooltipValue} labelFormatter={formatX} />;
  const labels = (key: string) =>
    showLabels ? (
      <LabelList
        dataKey={key}
        position="top"
        formatter={(v: unknown) => formatValue(valueColumnOf(key), v)}
      />
    ) : null;
  const animate = points.length <= 500;

  let chart: React.ReactElement;
  if (chartType === "pie") {
    const key = keys[0] ?? FIRST_VALUE;
    chart = (
      <PieChart>
        <Pie
          data={points}
          dataKey={key}
          nameKey="__x"
          innerRadius="45%"
          outerRadius="80%"
          paddingAngle={1}
          isAnimationActive={animate}
          label={
            showLabels
              ? (entry: { percent?: number; payload?: Point }) =>
                  `${formatX(entry.payload?.__x)}: ${formatNumber(entry.percent ?? 0, { percent: true, decimals: 1 })}`
              : false
          }
        >
          {points.map((p, i) => (
            <Cell key={String(p.__x)} fill={colors[i % colors.length]} />
          ))}
        </Pie>
        <Tooltip formatter={(v: unknown) => formatValue(valueColumnOf(key), v, false)} />
        {showLegend ? <Legend formatter={(v: unknown) => formatX(v)} /> : null}
      </PieChart>
    );
  } else if (chartType === "line") {
    chart = (
      <LineChart data={points} margin={margin}>
        {grid}
        {xAxis}
        {yAxis}
        {tooltip}
        {legend}
        {keys.map((key, i) => (
          <Line
            key={key}
            type="monotone"
            dataKey={key}
            name={key}
            stroke={colors[i % colors.length]}
            strokeWidth={2}
            dot={points.length <= 60}
            isAnimationActive={animate}
          >
            {labels(key)}
          </Line>
        ))}
      </LineChart>
    );
  } else if (chartType === "area") {
    chart = (
      <AreaChart data={points} margin={margin}>
        {grid}
        {xAxis}
        {yAxis}
        {tooltip}
        {legend}
        {keys.map((key, i) => (
          <Area
            key={key}
            type="monotone"
            dataKey={key}
            name={key}
            stackId={SPEC.series ? "stack" : undefined}
            stroke={colors[i % colors.length]}
            fill={colors[i % colors.length]}
            fillOpacity={0.25}
            isAnimationActive={animate}
          >
            {labels(key)}
          </Area>
        ))}
      </AreaChart>
    );
  } else {
    chart = (
      <BarChart data={points} margin={margin}>
        {grid}
        {xAxis}
        {yAxis}
        {tooltip}
        {legend}
        {keys.map((key, i) => (
          <Bar
            key={key}
            dataKey={key}
            name={key}
            fill={colors[i % colors.length]}
            radius={[3, 3, 0, 0]}
            isAnimationActive={animate}
          >
            {labels(key)}
          </Bar>
        ))}
      </BarChart>
    );
  }

  return (
    <Frame title={title}>
      <ResponsiveContainer width="100%" height="100%">
        {chart}
      </ResponsiveContainer>
    </Frame>
  );
}

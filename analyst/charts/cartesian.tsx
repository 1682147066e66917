// The offline analyst's chart for one or two categories (or a time axis) and one or more
// measures: bar, line, area, pie, small multiples or table, switched by params alone. The analyst fills SPEC
// with the query's column roles when it writes the component; nothing else changes.
// Readable for any result (docs/artifact.md, "Readable for any result"): at most `top_n`
// categories and MAX_SERIES series are drawn, the rest summed into "Other" when the measure
// adds up (else left out, and the caption says so); long or many labels turn bars horizontal;
// "multiples" draws a small chart per series (the kit's SmallMultiples) for more series than
// one chart shows.

import {
  columnOf,
  DataTable,
  downsample,
  downsampleLine,
  formatDate,
  formatNumber,
  formatValue,
  getColors,
  niceTicks,
  numberFormatOf,
  plotWidth,
  type ResultColumn,
  rowsToObjects,
  SizedChart,
  SmallMultiples,
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
  sort: string;
  /** Value columns whose rows add up (sums, not averages), so the rest can be one "Other". */
  additive?: string[];
};
// `fields`: what each column is (type, format, grain), which the values are formatted by.
type QueryResult = { columns: string[]; rows: unknown[][]; fields?: ResultColumn[] };
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
  sort: "desc",
  additive: ["value"],
};
// analyst:end
const FIRST_VALUE = SPEC.values[0] ?? "";
const MAX_POINTS = 5000;
const MAX_SERIES = 8;
const OTHER = "Other";
const OTHER_COLOR = "#9ca3af";
const LONG_LABEL = 16;
// About the width the labels under vertical bars have (px); wider than that, bars turn horizontal.
const LABELS_WIDTH = 800;
const MAX_LABEL = 32;
const BAR_ROW = 24;
const TICK_FONT = 12;
const ADDITIVE = SPEC.series
  ? (SPEC.additive ?? []).includes(FIRST_VALUE)
  : SPEC.values.every((v) => (SPEC.additive ?? []).includes(v));

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function formatX(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  return SPEC.xIsTime ? formatDate(value as string, SPEC.grain) : String(value);
}

function shortLabel(value: unknown): string {
  const text = formatX(value);
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}\u2026` : text;
}

function totalOf(point: Point, keys: string[]): number {
  return keys.reduce((sum, k) => sum + Math.abs(toNumber(point[k]) ?? 0), 0);
}

/** Keeps the `keep` series with the largest totals; the others become one "Other" series when
 * the measure adds up. */
function capSeries(points: Point[], keys: string[], keep: number): { keys: string[]; hidden: number } {
  if (keys.length <= keep) return { keys, hidden: 0 };
  const totals = new Map(keys.map((k) => [k, 0]));
  for (const p of points)
    for (const k of keys) totals.set(k, (totals.get(k) ?? 0) + Math.abs(toNumber(p[k]) ?? 0));
  const ranked = [...keys].sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0));
  const kept = ranked.slice(0, ADDITIVE ? keep - 1 : keep);
  const rest = ranked.slice(kept.length);
  if (ADDITIVE) {
    for (const p of points) {
      let sum: number | null = null;
      for (const k of rest) {
        const n = toNumber(p[k]);
        if (n !== null) sum = (sum ?? 0) + n;
      }
      p[OTHER] = sum;
    }
    kept.push(OTHER);
  }
  return { keys: kept, hidden: rest.length };
}

function Caption({ text }: { text: string }) {
  return text ? (
    <p data-vz-caption="" style={{ margin: "0 0 6px", fontSize: 12, opacity: 0.75 }}>
      {text}
    </p>
  ) : null;
}

function valueColumnOf(key: string): string {
  return SPEC.series ? FIRST_VALUE : key;
}

function Frame({
  title,
  caption = "",
  height,
  flow = false,
  children,
}: {
  title: string;
  caption?: string;
  height?: number;
  /** Content as tall as it is (small multiples), the frame scrolling past its height. */
  flow?: boolean;
  children: React.ReactNode;
}) {
  if (flow)
    return (
      <div style={{ width: "100%" }}>
        {title ? <h3 style={{ margin: "0 0 8px", fontSize: 16, fontWeight: 600 }}>{title}</h3> : null}
        <Caption text={caption} />
        {children}
      </div>
    );
  return (
    <div style={{ width: "100%", height: "100%", minHeight: 320, display: "flex", flexDirection: "column" }}>
      {title ? <h3 style={{ margin: "0 0 8px", fontSize: 16, fontWeight: 600 }}>{title}</h3> : null}
      <Caption text={caption} />
      {height ? (
        <div style={{ flex: 1, minHeight: 280, overflowY: "auto" }}>
          <div style={{ height }}>{children}</div>
        </div>
      ) : (
        <div style={{ flex: 1, minHeight: 280 }}>{children}</div>
      )}
    </div>
  );
}

export default function Viz({ data, params }: { data: QueryResult; params: Params }) {
  const asked = String(params.chart_type ?? SPEC.chartType);
  // Small multiples need a series; without one they are the chart they would repeat.
  const multiples = asked === "multiples" && Boolean(SPEC.series);
  const chartType = asked === "multiples" && !multiples ? (SPEC.xIsTime ? "line" : "bar") : asked;
  const title = String(params.title ?? "");
  const colors = getColors(String(params.color_scheme ?? "default"));
  const topN = Number(params.top_n ?? 0);
  const sort = String(params.sort ?? SPEC.sort);
  const showLabels = Boolean(params.show_labels);
  const showLegend = params.show_legend === undefined ? true : Boolean(params.show_legend);
  const xLabel = params.x_label ? String(params.x_label) : "";
  const yLabel = params.y_label ? String(params.y_label) : "";

  const { points, keys, hiddenPoints, hiddenSeries } = useMemo(() => {
    let keys: string[] = SPEC.series ? [] : [...SPEC.values];
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
    const seriesCap = capSeries(points, keys, MAX_SERIES);
    keys = seriesCap.keys;
    let hiddenPoints = 0;
    if (!SPEC.xIsTime && topN > 0 && points.length > topN) {
      // The top N are the largest, whatever order they are shown in; the rest are one "Other".
      const ranked = [...points].sort((a, b) => totalOf(b, keys) - totalOf(a, keys));
      const kept = new Set(ranked.slice(0, topN));
      const rest = ranked.slice(topN);
      hiddenPoints = rest.length;
      points = points.filter((p) => kept.has(p));
      if (ADDITIVE) {
        const other: Point = { __x: OTHER };
        for (const k of keys) {
          let sum: number | null = null;
          for (const p of rest) {
            const n = toNumber(p[k]);
            if (n !== null) sum = (sum ?? 0) + n;
          }
          other[k] = sum;
        }
        points.push(other);
      }
    }
    if (!SPEC.xIsTime && sort !== "none") {
      const total = (p: Point) => keys.reduce((sum, k) => sum + (toNumber(p[k]) ?? 0), 0);
      const rank = (p: Point) => (p.__x === OTHER && hiddenPoints > 0 ? 1 : 0);
      points.sort(
        (a, b) => rank(a) - rank(b) || (sort === "asc" ? total(a) - total(b) : total(b) - total(a)),
      );
    }
    // A time series needs no more points than the chart has pixels (each keeps its bucket's peaks).
    if (SPEC.xIsTime && points.length > plotWidth()) {
      points = downsampleLine(points, plotWidth(), (p) => totalOf(p, keys));
    } else if (points.length > MAX_POINTS) points = downsample(points, MAX_POINTS);
    return { points, keys, hiddenPoints, hiddenSeries: seriesCap.hidden };
  }, [data, sort, topN]);
  const captions: string[] = [];
  if (hiddenPoints > 0)
    captions.push(
      ADDITIVE
        ? `Top ${topN} of ${(topN + hiddenPoints).toLocaleString("en-US")}; the other ${hiddenPoints.toLocaleString("en-US")} are summed as \u201c${OTHER}\u201d.`
        : `Top ${topN} of ${(topN + hiddenPoints).toLocaleString("en-US")} shown.`,
    );
  if (hiddenSeries > 0)
    captions.push(
      ADDITIVE
        ? `${keys.length - 1} largest series of ${(keys.length - 1 + hiddenSeries).toLocaleString("en-US")}; the other ${hiddenSeries.toLocaleString("en-US")} are summed as \u201c${OTHER}\u201d.`
        : `${keys.length} largest series of ${(keys.length + hiddenSeries).toLocaleString("en-US")} shown.`,
    );
  const caption = captions.join(" ");
  // Values read as their column does (a rate as a percent, money in its currency): `data.fields`.
  const fieldOf = (key: string) => columnOf(data, valueColumnOf(key));
  const valueText = (key: string, value: unknown, compact = true) => {
    const n = toNumber(value);
    return n === null ? "\u2013" : formatValue(fieldOf(key), n, { compact });
  };

  if (multiples) {
    // One panel per series, on one scale; the kit names the series it leaves out.
    return (
      <Frame title={title} flow>
        <SmallMultiples
          data={data}
          x={SPEC.x}
          series={SPEC.series ?? ""}
          y={FIRST_VALUE}
          kind={SPEC.xIsTime ? "line" : "bar"}
          maxCategories={topN}
          color={colors[0]}
        />
      </Frame>
    );
  }
  if (chartType === "table") {
    return (
      <Frame title={title}>
        <DataTable data={data} maxRows={topN > 0 ? topN : undefined} />
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

  const longest = SPEC.xIsTime ? 0 : Math.max(...points.map((p) => formatX(p.__x).length));
  // Bars turn horizontal when their labels would not fit under them: every label stays upright.
  const horizontal =
    chartType === "bar" &&
    !SPEC.xIsTime &&
    (points.length > 12 ||
      (longest > LONG_LABEL && longest * TICK_FONT * 0.55 * points.length > LABELS_WIDTH));
  const crowded = !SPEC.xIsTime && points.length > 8;
  const sideLabel = horizontal ? xLabel : yLabel;
  const margin = { top: 20, right: 40, bottom: 8, left: sideLabel ? 24 : 8 };
  // An "Other" far larger than the bars shown would squash them: the axis then ends past the
  // largest bar shown, and "Other" runs off it with its value written on it.
  const other = hiddenPoints > 0 && keys.length === 1 ? points.find((p) => p.__x === OTHER) : undefined;
  const shown = points.filter((p) => p !== other).map((p) => toNumber(p[keys[0] ?? ""]) ?? 0);
  const otherValue = other ? (toNumber(other[keys[0] ?? ""]) ?? 0) : 0;
  const shownMax = Math.max(0, ...shown);
  const squashed =
    chartType === "bar" && other !== undefined && Math.min(0, ...shown) >= 0 && otherValue > 2 * shownMax;
  if (other) other.__label = squashed ? `${valueText(keys[0] ?? "", otherValue)} \u25b8` : "";
  const valueDomain: [number, number] | undefined = squashed ? [0, shownMax * 1.15] : undefined;
  // Given ticks (rather than Recharts' own) let the labels show as many decimals as they need;
  // a squashed axis ends past the largest bar shown.
  const stacked = chartType === "area" && Boolean(SPEC.series);
  const ticks = niceTicks(
    valueDomain
      ? valueDomain
      : points.flatMap((p) =>
          stacked ? [keys.reduce((sum, k) => sum + (toNumber(p[k]) ?? 0), 0)] : keys.map((k) => p[k]),
        ),
  );
  const valueAxisDomain: [number, number] = [ticks[0] ?? 0, ticks[ticks.length - 1] ?? 0];
  const yTick = tickFormatter(ticks, numberFormatOf(fieldOf(keys[0] ?? ""), { compact: true }));
  // On a time axis every label is measured unless the interval is a number: about one per 90 px.
  const timeInterval = Math.max(0, Math.ceil(points.length / Math.max(2, plotWidth() / 90)) - 1);
  const tooltipValue = (value: unknown, name: unknown) => valueText(String(name), value, false);
  const legend =
    showLegend && keys.length > 1 ? (
      <Legend
        verticalAlign="bottom"
        wrapperStyle={{ maxHeight: 72, overflowY: "auto" }}
        itemSorter={(item) => keys.indexOf(String(item.value))}
      />
    ) : null;
  const grid = <CartesianGrid strokeDasharray="3 3" vertical={horizontal} horizontal={!horizontal} />;
  // About 0.62 em a character at TICK_FONT: wide enough that no label wraps.
  const labelWidth = Math.min(
    260,
    Math.max(60, Math.ceil(Math.min(longest, MAX_LABEL) * TICK_FONT * 0.62) + 16),
  );
  const xAxis = horizontal ? (
    <XAxis
      type="number"
      ticks={ticks}
      domain={valueAxisDomain}
      tickFormatter={yTick}
      allowDataOverflow={squashed}
      label={yLabel ? { value: yLabel, position: "insideBottom", offset: -4 } : undefined}
      height={yLabel ? 44 : 32}
    />
  ) : (
    <XAxis
      dataKey="__x"
      tickFormatter={formatX}
      interval={crowded ? 0 : SPEC.xIsTime ? timeInterval : "preserveStartEnd"}
      angle={crowded ? -35 : 0}
      textAnchor={crowded ? "end" : "middle"}
      height={(crowded ? 80 : 32) + (xLabel ? 18 : 0)}
      label={xLabel ? { value: xLabel, position: "insideBottom", offset: 0 } : undefined}
    />
  );
  const yAxis = horizontal ? (
    <YAxis
      type="category"
      dataKey="__x"
      tickFormatter={shortLabel}
      tick={{ fontSize: TICK_FONT }}
      interval={0}
      width={labelWidth}
      label={xLabel ? { value: xLabel, angle: -90, position: "left", offset: 4 } : undefined}
    />
  ) : (
    <YAxis
      ticks={ticks}
      domain={valueAxisDomain}
      tickFormatter={yTick}
      allowDataOverflow={squashed}
      width={72}
      label={yLabel ? { value: yLabel, angle: -90, position: "insideLeft" } : undefined}
    />
  );
  const tooltip = <Tooltip formatter={tooltipValue} labelFormatter={formatX} />;
  const labels = (key: string) =>
    showLabels ? (
      <LabelList
        dataKey={key}
        position={horizontal ? "right" : "top"}
        formatter={(v: unknown) => valueText(key, v)}
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
        <Tooltip formatter={(v: unknown) => valueText(key, v, false)} />
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
      <BarChart data={points} margin={margin} layout={horizontal ? "vertical" : "horizontal"}>
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
            radius={horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0]}
            isAnimationActive={animate}
          >
            {keys.length === 1 && hiddenPoints > 0
              ? points.map((p) => (
                  <Cell
                    key={String(p.__x)}
                    fill={p.__x === OTHER ? OTHER_COLOR : colors[i % colors.length]}
                  />
                ))
              : null}
            {squashed ? (
              <LabelList
                dataKey="__label"
                position={horizontal ? "insideRight" : "insideTop"}
                fill="#ffffff"
              />
            ) : null}
            {labels(key)}
          </Bar>
        ))}
      </BarChart>
    );
  }

  // Horizontal bars get a row each; past the frame's height the chart scrolls.
  const height = horizontal ? Math.max(280, points.length * BAR_ROW + 80) : undefined;
  return (
    <Frame title={title} caption={caption} height={height}>
      <SizedChart>{chart}</SizedChart>
    </Frame>
  );
}

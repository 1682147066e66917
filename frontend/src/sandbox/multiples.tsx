// The kit's small multiples: one small chart per series, for results with more series than one
// chart shows readably (docs/artifact.md, "Readable for any result"). Every panel shares the x
// values and the value scale, so panels compare at a glance; the panel titles replace a legend.
import type React from "react";
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import {
  type ColumnFormat,
  columnFormatter,
  columnOf,
  dateGrainOf,
  formatValue,
  isDateValue,
  niceTicks,
  numberFormatOf,
  tickFormatter,
} from "@/lib/format";
import type { TabularData } from "@/lib/tabular";
import { SizedChart } from "@/sandbox/sized";

export type MultiplesKind = "line" | "area" | "bar";

/** Panels drawn at most: past this many, panels get too many to compare (docs/artifact.md). */
export const MAX_PANELS = 24;
/** Categories each bar panel shows by default: the largest over all panels, in the same order. */
export const PANEL_CATEGORIES = 10;
// Points a line panel draws at most (a panel is a few hundred pixels wide); each bucket of
// consecutive x values keeps every panel's peak and dip.
const PANEL_POINTS = 240;
const NAMED_LEFT_OUT = 8;
const LABEL_CHARS = 14;

export interface PanelPoint {
  x: string;
  y: number | null;
}

export interface Panel {
  /** The series value as it reads ("Europe", "2023"). */
  name: string;
  total: number;
  points: PanelPoint[];
}

export interface Multiples {
  panels: Panel[];
  /** Names of the series left out (the smallest by total). */
  hidden: string[];
  /** The x values every panel shares, as they read, and how many there were before the cut. */
  xs: string[];
  categoryCount: number;
  xIsTime: boolean;
  /** The shared value axis. */
  ticks: number[];
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function formatterOf(values: unknown[], column: ColumnFormat | undefined): (v: unknown) => string {
  const format = columnFormatter(values, column ?? {});
  return (v) => (v === null || v === undefined || v === "" ? "(none)" : format(v));
}

function isTimeColumn(column: ColumnFormat | undefined, values: unknown[]): boolean {
  if (column?.format === "date" || column?.format === "datetime") return true;
  if (column?.format !== undefined && column?.format !== null) return false;
  const sample = values.find((v) => v !== null && v !== undefined);
  return sample !== undefined && isDateValue(sample);
}

/**
 * The panels of a result in long form (one row per x value and series): the `maxPanels` series
 * with the largest totals (by absolute value), each with a point for every shared x value. A time
 * x keeps its order; categories are ranked by their total over the panels shown and cut to
 * `maxCategories` (0: all).
 */
export function smallMultiplesOf(
  data: TabularData,
  {
    x,
    series,
    y,
    maxPanels = MAX_PANELS,
    maxCategories = PANEL_CATEGORIES,
  }: { x: string; series: string; y: string; maxPanels?: number; maxCategories?: number },
): Multiples {
  const xi = data.columns.indexOf(x);
  const si = data.columns.indexOf(series);
  const yi = data.columns.indexOf(y);
  const rawX = data.rows.map((row) => row[xi]);
  const rawS = data.rows.map((row) => row[si]);
  const xColumn = columnOf(data, x);
  const xIsTime = isTimeColumn(xColumn, rawX);
  const xText = formatterOf(
    rawX,
    xIsTime && !xColumn?.grain ? { format: "date", grain: dateGrainOf(rawX) } : xColumn,
  );
  const seriesText = formatterOf(rawS, columnOf(data, series));

  const bySeries = new Map<string, Map<string, number | null>>();
  const totals = new Map<string, number>();
  const xKeys = new Map<string, unknown>();
  data.rows.forEach((row, i) => {
    const name = seriesText(rawS[i]);
    const key = String(rawX[i]);
    if (!xKeys.has(key)) xKeys.set(key, rawX[i]);
    let values = bySeries.get(name);
    if (!values) {
      values = new Map();
      bySeries.set(name, values);
    }
    const value = toNumber(row[yi]);
    values.set(key, value);
    totals.set(name, (totals.get(name) ?? 0) + Math.abs(value ?? 0));
  });

  const limit = maxPanels > 0 ? maxPanels : bySeries.size;
  const ranked = [...bySeries.keys()].sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0));
  const kept = ranked.slice(0, limit);
  const hidden = ranked.slice(limit);

  let keys = [...xKeys.keys()];
  if (xIsTime) {
    const time = (k: string) => Date.parse(String(xKeys.get(k)));
    keys.sort((a, b) => time(a) - time(b) || a.localeCompare(b));
  } else {
    const sums = new Map<string, number>();
    for (const name of kept)
      for (const [k, v] of bySeries.get(name) ?? []) sums.set(k, (sums.get(k) ?? 0) + Math.abs(v ?? 0));
    keys.sort((a, b) => (sums.get(b) ?? 0) - (sums.get(a) ?? 0));
  }
  const categoryCount = keys.length;
  if (!xIsTime && maxCategories > 0) keys = keys.slice(0, maxCategories);

  // Too many x values for a small panel: buckets of consecutive ones, each panel's lowest and
  // highest value of a bucket in their order, so peaks survive and the panels stay aligned.
  const buckets = xIsTime && keys.length > PANEL_POINTS ? Math.floor(PANEL_POINTS / 2) : 0;
  const slots: { label: string; members: string[] }[] = [];
  if (buckets) {
    const size = keys.length / buckets;
    for (let b = 0; b < buckets; b++) {
      const members = keys.slice(Math.floor(b * size), Math.floor((b + 1) * size));
      slots.push({ label: xText(xKeys.get(members[0] as string)), members });
    }
  } else for (const k of keys) slots.push({ label: xText(xKeys.get(k)), members: [k] });

  const panels = kept.map((name) => {
    const values = bySeries.get(name) ?? new Map<string, number | null>();
    const points: PanelPoint[] = [];
    for (const slot of slots) {
      if (!buckets) {
        points.push({ x: slot.label, y: values.get(slot.members[0] as string) ?? null });
        continue;
      }
      let low = -1;
      let high = -1;
      const at = (i: number) => values.get(slot.members[i] as string) ?? null;
      slot.members.forEach((_, i) => {
        const v = at(i);
        if (v === null) return;
        if (low < 0 || v < (at(low) as number)) low = i;
        if (high < 0 || v > (at(high) as number)) high = i;
      });
      // Two points a bucket, in the order they happened; the second label differs only unseen.
      points.push({ x: slot.label, y: low < 0 ? null : at(Math.min(low, high)) });
      points.push({ x: `${slot.label}\u200b`, y: low < 0 ? null : at(Math.max(low, high)) });
    }
    return { name, total: totals.get(name) ?? 0, points };
  });
  const ticks = niceTicks(
    panels.flatMap((p) => p.points.map((pt) => pt.y)),
    4,
  );
  return {
    panels,
    hidden,
    xs: panels[0]?.points.map((p) => p.x) ?? slots.map((s) => s.label),
    categoryCount,
    xIsTime,
    ticks,
  };
}

/** The caption of what small multiples leave out, or "" when nothing is. */
export function multiplesCaption(m: Multiples, xNoun = "categories"): string {
  const parts: string[] = [];
  if (m.hidden.length > 0) {
    const all = (m.panels.length + m.hidden.length).toLocaleString("en-US");
    const named = m.hidden.slice(0, NAMED_LEFT_OUT).join(", ");
    const more = m.hidden.length - NAMED_LEFT_OUT;
    parts.push(
      `The ${m.panels.length} largest of ${all} series; not shown: ${named}` +
        (more > 0 ? ` and ${more.toLocaleString("en-US")} more.` : "."),
    );
  }
  if (!m.xIsTime && m.xs.length < m.categoryCount)
    parts.push(
      `Each panel shows the top ${m.xs.length} of ${m.categoryCount.toLocaleString("en-US")} ${xNoun}.`,
    );
  return parts.join(" ");
}

function shortLabel(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}\u2026` : text;
}

/**
 * A grid of small charts, one per series of a long-form result (`x`, `series` and `y` are its
 * columns): lines (or areas) over time, horizontal bars over categories. Panels share the x values
 * and the value axis, values read as the `y` column does (`data.fields`), panel titles stand in
 * for a legend, and a caption names what is left out. The grid is one column on a phone.
 */
export function SmallMultiples({
  data,
  x,
  series,
  y,
  kind,
  maxPanels = MAX_PANELS,
  maxCategories = PANEL_CATEGORIES,
  color = "#3b82f6",
  panelHeight = 140,
  minPanelWidth = 220,
}: {
  data: TabularData;
  x: string;
  series: string;
  y: string;
  /** Default: a line over time, bars over categories. */
  kind?: MultiplesKind;
  maxPanels?: number;
  /** Bar panels: the categories shown (0: all). */
  maxCategories?: number;
  color?: string;
  panelHeight?: number;
  minPanelWidth?: number;
}) {
  const m = smallMultiplesOf(data, { x, series, y, maxPanels, maxCategories });
  if (m.panels.length === 0) return <div className="vz-multiples-empty">No rows match this question.</div>;
  const shape: MultiplesKind = kind ?? (m.xIsTime ? "line" : "bar");
  const yColumn = columnOf(data, y);
  const yTick = tickFormatter(m.ticks, numberFormatOf(yColumn, { compact: true }));
  const domain: [number, number] = [m.ticks[0] ?? 0, m.ticks[m.ticks.length - 1] ?? 0];
  const tooltip = (
    <Tooltip
      formatter={(v: unknown) => formatValue(yColumn, toNumber(v) ?? undefined)}
      labelFormatter={(label: unknown) => String(label).replace(/\u200b$/, "")}
    />
  );
  const horizontal = shape === "bar" && !m.xIsTime;
  const height = horizontal ? Math.max(panelHeight, m.xs.length * 16 + 36) : panelHeight;
  // About three labels under a time axis: first, middle and last.
  const interval = Math.max(0, Math.ceil(m.xs.length / 3) - 1);
  const labelWidth = Math.min(
    100,
    Math.max(40, Math.ceil(Math.max(...m.xs.map((s) => shortLabel(s).length)) * 11 * 0.6) + 8),
  );
  const chartOf = (panel: Panel): React.ReactElement => {
    const margin = { top: 6, right: 12, bottom: 0, left: 0 };
    const grid = <CartesianGrid strokeDasharray="3 3" vertical={horizontal} horizontal={!horizontal} />;
    const valueAxis = { ticks: m.ticks, domain, tickFormatter: yTick, tick: { fontSize: 11 } };
    if (horizontal)
      return (
        <BarChart data={panel.points} layout="vertical" margin={margin}>
          {grid}
          <XAxis type="number" {...valueAxis} height={22} />
          <YAxis
            type="category"
            dataKey="x"
            interval={0}
            width={labelWidth}
            tick={{ fontSize: 11 }}
            tickFormatter={shortLabel}
          />
          {tooltip}
          <Bar dataKey="y" name={panel.name} fill={color} isAnimationActive={false} radius={[0, 2, 2, 0]} />
        </BarChart>
      );
    const xAxis = (
      <XAxis dataKey="x" interval={interval} tick={{ fontSize: 11 }} height={22} minTickGap={8} />
    );
    const yAxis = <YAxis {...valueAxis} width={48} />;
    if (shape === "bar")
      return (
        <BarChart data={panel.points} margin={margin}>
          {grid}
          {xAxis}
          {yAxis}
          {tooltip}
          <Bar dataKey="y" name={panel.name} fill={color} isAnimationActive={false} />
        </BarChart>
      );
    if (shape === "area")
      return (
        <AreaChart data={panel.points} margin={margin}>
          {grid}
          {xAxis}
          {yAxis}
          {tooltip}
          <Area
            dataKey="y"
            name={panel.name}
            stroke={color}
            fill={color}
            fillOpacity={0.25}
            connectNulls
            isAnimationActive={false}
          />
        </AreaChart>
      );
    return (
      <LineChart data={panel.points} margin={margin}>
        {grid}
        {xAxis}
        {yAxis}
        {tooltip}
        <Line
          dataKey="y"
          name={panel.name}
          stroke={color}
          strokeWidth={1.5}
          dot={m.xs.length <= 24}
          connectNulls
          isAnimationActive={false}
        />
      </LineChart>
    );
  };
  const caption = multiplesCaption(m);
  return (
    <div className="vz-multiples" data-vz-multiples={m.panels.length}>
      {caption ? (
        <p className="vz-caption" data-vz-caption="">
          {caption}
        </p>
      ) : null}
      <div
        className="vz-multiples-grid"
        style={{ gridTemplateColumns: `repeat(auto-fill, minmax(min(100%, ${minPanelWidth}px), 1fr))` }}
      >
        {m.panels.map((panel) => (
          <div className="vz-panel" data-vz-panel={panel.name} key={panel.name}>
            <div className="vz-panel-title" data-vz-panel-title="" title={panel.name}>
              {panel.name}
            </div>
            <div style={{ height }}>
              <SizedChart>{chartOf(panel)}</SizedChart>
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}

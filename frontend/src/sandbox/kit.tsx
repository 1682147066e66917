// @vizorch/kit: the helpers generated components may import (docs/artifact.md, "Imports").
import { type RefObject, useLayoutEffect, useRef, useState } from "react";
import { colorSchemes, getColors } from "@/lib/color-schemes";
import type { TabularData } from "@/lib/tabular";
import { unwrap } from "@/sandbox/guard/membrane";

export type { TabularData };
export { colorSchemes, getColors };

export function rowsToObjects(data: TabularData): Record<string, unknown>[] {
  const { columns, rows } = data;
  return rows.map((row) => {
    const obj: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      obj[column] = row[i];
    });
    return obj;
  });
}

export interface NumberFormat {
  compact?: boolean;
  decimals?: number;
  percent?: boolean;
  /** An ISO 4217 code ("USD", "EUR"): the value is money in that currency. */
  currency?: string;
}

// Building an Intl formatter costs far more than formatting with one (an axis formats thousands of
// labels), so each set of options builds its formatter once.
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function numberFormatter(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat("en-US", options);
    numberFormats.set(key, format);
  }
  return format;
}

function dateFormatter(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { ...options, timeZone: "UTC" });
    dateFormats.set(key, format);
  }
  return format;
}

/** How many Intl formatters the kit has built so far (each set of options builds one). */
export function formatterCount(): number {
  return numberFormats.size + dateFormats.size;
}

export function formatNumber(value: number, opts: NumberFormat = {}): string {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const { compact = false, percent = false, currency } = opts;
  const decimals = opts.decimals ?? (percent ? 1 : compact ? 1 : currency ? 2 : Number.isInteger(n) ? 0 : 2);
  return numberFormatter({
    style: percent ? "percent" : currency ? "currency" : "decimal",
    ...(currency && !percent ? { currency } : {}),
    notation: compact ? "compact" : "standard",
    minimumFractionDigits: compact ? 0 : decimals,
    maximumFractionDigits: decimals,
  }).format(n);
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * power;
}

/**
 * About `count` evenly spaced round values covering every finite value given (and zero), for an
 * axis's `ticks`: knowing the ticks lets `tickFormatter` make their labels distinct.
 */
export function niceTicks(values: Iterable<unknown>, count = 5): number[] {
  let min = 0;
  let max = 0;
  for (const value of values) {
    const n = typeof value === "number" ? value : Number(value);
    if (value === null || value === "" || !Number.isFinite(n)) continue;
    if (n < min) min = n;
    if (n > max) max = n;
  }
  if (min === max) return [min];
  const step = niceStep(max - min, count - 1);
  const first = Math.floor(min / step);
  const last = Math.ceil(max / step);
  const ticks: number[] = [];
  // Multiplying the index by the step (rather than adding it up) keeps 0.1 + 0.2 noise out.
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

// A tick in the unit its label shows: percent points, or thousands/millions in compact notation.
function displayed(tick: number, opts: NumberFormat): number {
  let value = opts.percent ? tick * 100 : tick;
  if (opts.compact && !opts.percent && Math.abs(value) >= 1000) {
    value /= 1000 ** Math.min(4, Math.floor(Math.log10(Math.abs(value)) / 3));
  }
  return value;
}

function exactAt(value: number, decimals: number): boolean {
  return Math.abs(Number(value.toFixed(decimals)) - value) <= 1e-9 * Math.max(1, Math.abs(value));
}

/**
 * A tick formatter for an axis whose ticks are `ticks`: the fewest decimals (up to 6) that show
 * every tick as it is, so labels are distinct and an axis of averages reads "0, 0.025, 0.05"
 * (or "0%, 2.5%, 5%"), never "0, 0, 0.1".
 */
export function tickFormatter(ticks: readonly number[], opts: NumberFormat = {}): (value: unknown) => string {
  const finite = ticks.filter((t) => Number.isFinite(t));
  const distinct = new Set(finite).size;
  let decimals = 6;
  for (let d = 0; d <= 6; d++) {
    const exact = finite.every((t) => exactAt(displayed(t, opts), d));
    if (exact && new Set(finite.map((t) => formatNumber(t, { ...opts, decimals: d }))).size === distinct) {
      decimals = d;
      break;
    }
  }
  const format = { ...opts, decimals };
  return (value: unknown) => {
    const n = typeof value === "number" ? value : Number(value);
    return Number.isFinite(n) ? formatNumber(n, format) : String(value);
  };
}

export type DateGrain = "day" | "week" | "month" | "quarter" | "year";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function toDate(value: string | number | Date): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === "number") return new Date(value);
  // A bare date is a calendar day, not midnight UTC shifted into the local zone.
  const bare = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (bare) return new Date(Date.UTC(Number(bare[1]), Number(bare[2]) - 1, Number(bare[3])));
  // A timestamp without an offset is wall-clock time: read it as UTC so it is shown as written.
  const d = new Date(ISO_DATETIME.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value}Z` : value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDate(value: string | number | Date, grain: DateGrain = "day"): string {
  const d = toDate(value);
  if (!d) return String(value);
  const year = d.getUTCFullYear();
  switch (grain) {
    case "year":
      return String(year);
    case "quarter":
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${year}`;
    case "month":
      return dateFormatter({ month: "short", year: "numeric" }).format(d);
    case "week":
      return `Week of ${dateFormatter({ month: "short", day: "numeric", year: "numeric" }).format(d)}`;
    default:
      return dateFormatter({ month: "short", day: "numeric", year: "numeric" }).format(d);
  }
}

/** A date with its time of day ("Mar 1, 2024, 14:30"), for timestamps that are not at midnight. */
export function formatDateTime(value: string | number | Date): string {
  const d = toDate(value);
  if (!d) return String(value);
  return dateFormatter({
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(d);
}

/** Whether a value is a date or timestamp as query results carry them (ISO 8601 text or a Date). */
export function isDateValue(value: unknown): boolean {
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  return typeof value === "string" && (ISO_DATE.test(value) || ISO_DATETIME.test(value));
}

/**
 * The coarsest grain that shows every value of a date column without losing anything: "year" when
 * all fall on January 1st, "month" on the 1st, "day" at midnight, or null when times of day matter.
 */
export function dateGrainOf(values: Iterable<unknown>): DateGrain | null {
  let grain: DateGrain = "year";
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const d = toDate(value as string);
    if (!d) continue;
    if (d.getUTCHours() || d.getUTCMinutes() || d.getUTCSeconds() || d.getUTCMilliseconds()) return null;
    if (grain === "year" && (d.getUTCMonth() !== 0 || d.getUTCDate() !== 1)) grain = "month";
    if (grain === "month" && d.getUTCDate() !== 1) grain = "day";
  }
  return grain;
}

/** How a column's values read: the semantic catalog's format, and for dates their grain. */
export interface ColumnFormat {
  format?: "number" | "integer" | "currency" | "percent" | "date" | "datetime" | "text";
  grain?: DateGrain;
  currency?: string;
}

/**
 * A formatter for one column's values: numbers by their format (percent, currency), dates by their
 * grain (given, or the coarsest the values allow), anything else as text.
 */
export function columnFormatter(
  values: readonly unknown[],
  column: ColumnFormat = {},
): (value: unknown) => string {
  const sample = values.find((v) => v !== null && v !== undefined);
  const isDate =
    column.format === "date" ||
    column.format === "datetime" ||
    (column.format === undefined && sample !== undefined && isDateValue(sample));
  if (isDate) {
    const grain = column.grain ?? dateGrainOf(values);
    return (value) =>
      value === null || value === undefined
        ? ""
        : grain
          ? formatDate(value as string, grain)
          : formatDateTime(value as string);
  }
  const numberFormat: NumberFormat = {
    percent: column.format === "percent",
    ...(column.format === "currency" ? { currency: column.currency ?? "USD" } : {}),
    ...(column.format === "integer" ? { decimals: 0 } : {}),
  };
  return (value) => {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return formatNumber(value, numberFormat);
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  };
}

export function useResize(ref: RefObject<Element | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    // The component's ref holds the sandbox's view of the element (guard/membrane.ts).
    const el = unwrap(ref.current);
    if (!(el instanceof Element)) return;
    const measure = () => {
      const rect = el.getBoundingClientRect();
      setSize((prev) =>
        prev.width === Math.round(rect.width) && prev.height === Math.round(rect.height)
          ? prev
          : { width: Math.round(rect.width), height: Math.round(rect.height) },
      );
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/** Evenly samples `points` down to `maxPoints`, always keeping the first and last point. */
export function downsample<T>(points: T[], maxPoints: number): T[] {
  if (maxPoints <= 0) return [];
  if (points.length <= maxPoints) return points;
  if (maxPoints === 1) return [points[0] as T];
  const out: T[] = [];
  const step = (points.length - 1) / (maxPoints - 1);
  for (let i = 0; i < maxPoints; i++) out.push(points[Math.round(i * step)] as T);
  return out;
}

/**
 * Reduces a series to about `maxPoints` points for drawing: the points are cut into buckets of
 * consecutive points and each bucket keeps its lowest and its highest point (in their order), so
 * peaks and dips survive; the first and last point are always kept.
 */
export function downsampleLine<T>(points: T[], maxPoints: number, measure: (point: T) => number): T[] {
  if (points.length <= Math.max(2, maxPoints)) return points;
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const size = (points.length - 2) / buckets;
  const out: T[] = [points[0] as T];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor(b * size);
    const end = Math.min(points.length - 1, 1 + Math.floor((b + 1) * size));
    let low = start;
    let high = start;
    for (let i = start + 1; i < end; i++) {
      const v = measure(points[i] as T);
      if (v < measure(points[low] as T)) low = i;
      if (v > measure(points[high] as T)) high = i;
    }
    if (end <= start) continue;
    out.push(points[Math.min(low, high)] as T);
    if (low !== high) out.push(points[Math.max(low, high)] as T);
  }
  out.push(points[points.length - 1] as T);
  return out;
}

/** The sandbox frame's width in CSS pixels: about how many points a line across it can show. */
export function plotWidth(): number {
  const width = typeof window === "undefined" ? 0 : window.innerWidth;
  return Math.max(320, Math.round(width) || 1000);
}

export function KpiCard({
  label,
  value,
  format,
}: {
  label: string;
  value: number | string;
  format?: NumberFormat;
}) {
  const text = typeof value === "number" ? formatNumber(value, format) : value;
  return (
    <div className="vz-kpi">
      <div className="vz-kpi-label">{label}</div>
      <div className="vz-kpi-value">{text}</div>
    </div>
  );
}

export function DataTable({
  data,
  maxRows = 200,
  formats = {},
}: {
  data: TabularData;
  maxRows?: number;
  /** Per column: its catalog format and date grain (read from the values when left out). */
  formats?: Record<string, ColumnFormat>;
}) {
  const rows = data.rows.slice(0, maxRows);
  const cellText = data.columns.map((c, j) =>
    columnFormatter(
      rows.map((row) => row[j]),
      formats[c],
    ),
  );
  return (
    <div className="vz-table-wrap">
      <table className="vz-table">
        <thead>
          <tr>
            {data.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own
            <tr key={i}>
              {data.columns.map((c, j) => (
                <td key={c} className={typeof row[j] === "number" ? "vz-num" : undefined}>
                  {cellText[j]?.(row[j])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {data.rows.length > rows.length ? (
        <div className="vz-table-more">
          Showing {rows.length} of {data.rows.length} rows
        </div>
      ) : null}
    </div>
  );
}

/**
 * A scatter plot of many points (tens of thousands and more) drawn on a canvas by uPlot: a point
 * cloud cannot be downsampled honestly, and an SVG circle per point is too slow past a few
 * thousand. `x` and `y` are the coordinates (arrays of numbers); the
 * axes' labels are made distinct like the kit's tick labels, in the given number formats.
 */
export function PointCloud({
  x,
  y,
  xLabel = "",
  yLabel = "",
  color = "#3b82f6",
  xFormat = {},
  yFormat = {},
  pointSize = 3,
}: {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Axis titles. */
  xLabel?: string;
  yLabel?: string;
  color?: string;
  xFormat?: NumberFormat;
  yFormat?: NumberFormat;
  pointSize?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Formats arrive as new objects on every render: the plot is rebuilt only when they change.
  const formats = JSON.stringify([xFormat, yFormat]);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const [xFmt, yFmt] = JSON.parse(formats) as [NumberFormat, NumberFormat];
    const xs = Float64Array.from(x);
    const ys = Float64Array.from(y);
    let stop: (() => void) | null = null;
    let cancelled = false;
    // uPlot is loaded with the first large scatter plot, not with every frame.
    void import("@/sandbox/pointcloud").then(({ drawPointCloud }) => {
      if (cancelled) return;
      stop = drawPointCloud(el, {
        x: xs,
        y: ys,
        color,
        pointSize,
        xLabels: (splits) => splits.map(tickFormatter(splits, { compact: true, ...xFmt })),
        yLabels: (splits) => splits.map(tickFormatter(splits, { compact: true, ...yFmt })),
        xTitle: xLabel,
        yTitle: yLabel,
      });
    });
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [x, y, xLabel, yLabel, color, formats, pointSize]);
  return <div className="vz-pointcloud" ref={box} data-points={x.length} />;
}

// @vizorch/kit: the helpers generated components may import (docs/artifact.md, "Imports").
import { useLayoutEffect, useRef } from "react";
import { colorSchemes, getColors } from "@/lib/color-schemes";
import {
  type ColumnFormat,
  columnFormatter,
  columnOf,
  formatNumber,
  type NumberFormat,
  tickFormatter,
} from "@/lib/format";
import type { ResultColumn } from "@/lib/generated/types";
import type { TabularData } from "@/lib/tabular";

export { SizedChart, useResize } from "@/sandbox/sized";
export type { ResultColumn, TabularData };
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

export {
  type ColumnFormat,
  columnFormatter,
  columnOf,
  type DateGrain,
  dateGrainOf,
  formatDate,
  formatDateTime,
  formatNumber,
  formatterCount,
  formatValue,
  isDateValue,
  type NumberFormat,
  niceTicks,
  numberFormatOf,
  tickFormatter,
} from "@/lib/format";

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
  /**
   * Per column: its format and date grain; by default the column's own (`data.fields`), else read
   * from the values.
   */
  formats?: Record<string, ColumnFormat>;
}) {
  const rows = data.rows.slice(0, maxRows);
  const cellText = data.columns.map((c, j) =>
    columnFormatter(
      rows.map((row) => row[j]),
      formats[c] ?? columnOf(data, c),
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

export {
  MAX_PANELS,
  type Multiples,
  type MultiplesKind,
  multiplesCaption,
  PANEL_CATEGORIES,
  type Panel,
  type PanelPoint,
  SmallMultiples,
  smallMultiplesOf,
} from "@/sandbox/multiples";

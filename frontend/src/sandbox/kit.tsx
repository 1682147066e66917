// @vizorch/kit: the helpers generated components may import (docs/artifact.md, "Imports").
import { type RefObject, useLayoutEffect, useState } from "react";
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
}

export function formatNumber(value: number, opts: NumberFormat = {}): string {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const { compact = false, percent = false } = opts;
  const decimals = opts.decimals ?? (percent ? 1 : compact ? 1 : Number.isInteger(n) ? 0 : 2);
  return new Intl.NumberFormat("en-US", {
    style: percent ? "percent" : "decimal",
    notation: compact ? "compact" : "standard",
    minimumFractionDigits: compact ? 0 : decimals,
    maximumFractionDigits: decimals,
  }).format(n);
}

export type DateGrain = "day" | "week" | "month" | "quarter" | "year";

function toDate(value: string | number | Date): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === "number") return new Date(value);
  // A bare date is a calendar day, not midnight UTC shifted into the local zone.
  const bare = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (bare) return new Date(Date.UTC(Number(bare[1]), Number(bare[2]) - 1, Number(bare[3])));
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDate(value: string | number | Date, grain: DateGrain = "day"): string {
  const d = toDate(value);
  if (!d) return String(value);
  const year = d.getUTCFullYear();
  const month = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  switch (grain) {
    case "year":
      return String(year);
    case "quarter":
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${year}`;
    case "month":
      return `${month} ${year}`;
    case "week": {
      return `Week of ${month} ${d.getUTCDate()}, ${year}`;
    }
    default:
      return `${month} ${d.getUTCDate()}, ${year}`;
  }
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

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function DataTable({ data, maxRows = 200 }: { data: TabularData; maxRows?: number }) {
  const rows = data.rows.slice(0, maxRows);
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
                  {cellText(row[j])}
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

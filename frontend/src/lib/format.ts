// Numbers and dates as an analyst reads them, one column at a time: the kit's formatters (the
// sandbox's components) and the portal's Data tab share them, so both read a result alike.
import type { ResultColumn } from "@/lib/generated/types";
import type { TabularData } from "@/lib/tabular";

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
  grain?: DateGrain | null;
  currency?: string | null;
}

/** A column's description (`data.fields`, from the server: type, format, grain), by name. */
export function columnOf(data: TabularData, name: string): ResultColumn | undefined {
  return data.fields?.find((field) => field.name === name);
}

/** The number format a column's values read in: percent, currency (with its code), whole numbers. */
export function numberFormatOf(column: ColumnFormat | undefined, extra: NumberFormat = {}): NumberFormat {
  return {
    ...(column?.format === "percent" ? { percent: true } : {}),
    ...(column?.format === "currency" ? { currency: column.currency ?? "USD" } : {}),
    ...(column?.format === "integer" ? { decimals: 0 } : {}),
    ...extra,
  };
}

function isDateColumn(column: ColumnFormat | undefined): boolean {
  return column?.format === "date" || column?.format === "datetime";
}

function hasTimeOfDay(value: unknown): boolean {
  const d = toDate(value as string);
  return (
    d !== null && Boolean(d.getUTCHours() || d.getUTCMinutes() || d.getUTCSeconds() || d.getUTCMilliseconds())
  );
}

/**
 * One value as its column reads (a column of `data.fields`, see `columnOf`): a percent as "12.5%",
 * money in its currency, a date by its grain ("Jan 2021" for a month), anything else as text.
 * `compact` shortens large numbers ("1.2M"), for axes and labels; null is "".
 */
export function formatValue(
  column: ColumnFormat | undefined,
  value: unknown,
  options: { compact?: boolean } = {},
): string {
  if (value === null || value === undefined) return "";
  if (
    isDateColumn(column) &&
    (typeof value === "string" || typeof value === "number" || value instanceof Date)
  ) {
    if (column?.grain) return formatDate(value, column.grain);
    return hasTimeOfDay(value) ? formatDateTime(value) : formatDate(value, "day");
  }
  if (typeof value === "number" || typeof value === "bigint") {
    return formatNumber(Number(value), numberFormatOf(column, options.compact ? { compact: true } : {}));
  }
  if (value instanceof Date) return formatDateTime(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
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
    isDateColumn(column) || (column.format === undefined && sample !== undefined && isDateValue(sample));
  if (isDate) {
    const grain = column.grain ?? dateGrainOf(values);
    return (value) =>
      value === null || value === undefined
        ? ""
        : grain
          ? formatDate(value as string, grain)
          : formatDateTime(value as string);
  }
  const numberFormat = numberFormatOf(column);
  return (value) => {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return formatNumber(value, numberFormat);
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  };
}

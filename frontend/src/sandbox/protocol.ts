// The typed postMessage protocol between the portal (host) and the sandbox iframe. Both sides parse
// every message with these schemas and only accept messages from the expected window.
import { z } from "zod";
import type { ResultColumn } from "@/lib/generated/types";
import type { TabularData } from "@/lib/tabular";

export const CHANNEL = "vizorch-sandbox/1";

const ParamsSchema = z.record(z.unknown());
const ThemeSchema = z.enum(["light", "dark"]);

/**
 * Whether a value has the shape of a query result: column names and an array of row arrays. It
 * looks at the columns and the first and last row only: a 100,000-row result is checked in
 * microseconds (the portal validated the rows when it fetched them; a malformed row can only
 * fail its own component's render).
 */
export function isTabular(value: unknown): value is TabularData {
  if (typeof value !== "object" || value === null) return false;
  const { columns, rows } = value as { columns?: unknown; rows?: unknown };
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === "string")) return false;
  if (!Array.isArray(rows)) return false;
  return rows.length === 0 || (Array.isArray(rows[0]) && Array.isArray(rows[rows.length - 1]));
}

const TabularSchema = z.custom<TabularData>(isTabular, "not a table of columns and rows");

// The values a column description may hold, as the generated type says: the compiler checks each
// list against it, so a value the server adds or drops fails the typecheck until it is listed.
const FORMATS: Record<ResultColumn["format"], true> = {
  number: true,
  integer: true,
  currency: true,
  percent: true,
  date: true,
  datetime: true,
  text: true,
};
const GRAINS: Record<NonNullable<ResultColumn["grain"]>, true> = {
  day: true,
  week: true,
  month: true,
  quarter: true,
  year: true,
};
const TYPES: Record<ResultColumn["type"], true> = {
  integer: true,
  number: true,
  decimal: true,
  boolean: true,
  text: true,
  date: true,
  timestamp: true,
  time: true,
  duration: true,
  binary: true,
  nested: true,
  other: true,
};

function isOneOf(values: object, value: unknown): boolean {
  return typeof value === "string" && Object.hasOwn(values, value);
}

function isTextOrNone(value: unknown): boolean {
  return value === undefined || value === null || typeof value === "string";
}

/**
 * Whether a value is a column description (the server's `ResultColumn`). Checked here rather than
 * with the generated Zod schema: importing lib/generated/zod.ts evaluates every API schema (51)
 * in each new sandbox frame, some 10 ms of its cold start, for this one.
 */
export function isResultColumn(value: unknown): value is ResultColumn {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.name === "string" &&
    isOneOf(FORMATS, c.format) &&
    isOneOf(TYPES, c.type) &&
    (c.grain === undefined || c.grain === null || isOneOf(GRAINS, c.grain)) &&
    (c.arrow_type === undefined || typeof c.arrow_type === "string") &&
    isTextOrNone(c.currency) &&
    isTextOrNone(c.label)
  );
}

const ResultColumnSchema = z.custom<ResultColumn>(isResultColumn, "not a column description");
const JsonDataSchema = z.object({ format: z.literal("json"), result: TabularSchema });
const ParquetDataSchema = z.object({ format: z.literal("parquet"), buffer: z.instanceof(ArrayBuffer) });
export const SandboxDataSchema = z.discriminatedUnion("format", [JsonDataSchema, ParquetDataSchema]);

export const HostMessageSchema = z.discriminatedUnion("type", [
  z.object({
    channel: z.literal(CHANNEL),
    type: z.literal("render"),
    renderId: z.number().int(),
    code: z.string(),
    params: ParamsSchema,
    data: SandboxDataSchema,
    /** What each column is (the server's description): the component reads it as `data.fields`. */
    columns: z.array(ResultColumnSchema).optional(),
    theme: ThemeSchema,
  }),
  z.object({
    channel: z.literal(CHANNEL),
    type: z.literal("params"),
    renderId: z.number().int(),
    params: ParamsSchema,
  }),
  z.object({ channel: z.literal(CHANNEL), type: z.literal("theme"), theme: ThemeSchema }),
  // The frame outlives artifacts: "clear" ends the current one (nothing of it stays or runs).
  z.object({ channel: z.literal(CHANNEL), type: z.literal("clear"), renderId: z.number().int() }),
  z.object({
    channel: z.literal(CHANNEL),
    type: z.literal("export"),
    requestId: z.number().int(),
    format: z.enum(["png", "svg"]),
  }),
]);

export const SandboxMessageSchema = z.discriminatedUnion("type", [
  z.object({ channel: z.literal(CHANNEL), type: z.literal("ready") }),
  z.object({ channel: z.literal(CHANNEL), type: z.literal("rendered"), renderId: z.number().int() }),
  z.object({
    channel: z.literal(CHANNEL),
    type: z.literal("error"),
    renderId: z.number().int(),
    phase: z.enum(["compile", "render", "data"]),
    message: z.string(),
  }),
  z.object({
    channel: z.literal(CHANNEL),
    type: z.literal("exported"),
    requestId: z.number().int(),
    format: z.enum(["png", "svg"]),
    blob: z.instanceof(Blob).nullable(),
    message: z.string().optional(),
  }),
]);

export type HostMessage = z.infer<typeof HostMessageSchema>;
export type SandboxMessage = z.infer<typeof SandboxMessageSchema>;
export type SandboxData = z.infer<typeof SandboxDataSchema>;

type WithoutChannel<T> = T extends unknown ? Omit<T, "channel"> : never;

export function hostMessage(message: WithoutChannel<HostMessage>): HostMessage {
  return { channel: CHANNEL, ...message } as HostMessage;
}

export function sandboxMessage(message: WithoutChannel<SandboxMessage>): SandboxMessage {
  return { channel: CHANNEL, ...message } as SandboxMessage;
}

/**
 * Accepts a message event only when it comes from `expectedSource` and matches the schema; anything
 * else (other windows, other channels, malformed payloads) is ignored.
 */
export function acceptMessage<S extends z.ZodTypeAny>(
  event: MessageEvent,
  expectedSource: MessageEventSource | null | undefined,
  schema: S,
): z.output<S> | null {
  if (!expectedSource || event.source !== expectedSource) return null;
  const parsed = schema.safeParse(event.data);
  return parsed.success ? (parsed.data as z.output<S>) : null;
}

// Fetches a query result for the artifact: JSON is validated here with Zod; Parquet stays bytes and
// is decoded inside the sandbox (and validated there with the same schema).
import { request } from "@/lib/api";
import {
  type QueryResult,
  QueryResultSchema,
  type ResultColumnInfo,
  ResultColumnsSchema,
} from "@/lib/api-schemas";

export type DataFormat = "json" | "parquet" | "auto";

/** What the server says about the stored result (X-Row-Count, X-Truncated). */
export interface ResultExtent {
  /** Rows kept; null when the server did not say. */
  rowCount: number | null;
  /** The engine's row or byte limit cut the result: the query had more rows. */
  truncated: boolean;
  /** What each column is and how its values read (type, format, date grain); [] when unknown. */
  columns: ResultColumnInfo[];
}

export type LoadedData = ResultExtent &
  (
    | { format: "json"; url: string; result: QueryResult }
    | { format: "parquet"; url: string; buffer: ArrayBuffer }
  );

/** The data URL with `format=` set; "auto" leaves the choice to the server (JSON when small). */
export function dataUrlWithFormat(url: string, format: DataFormat): string {
  const u = new URL(url, window.location.origin);
  if (format === "auto") u.searchParams.delete("format");
  else u.searchParams.set("format", format);
  return u.origin === window.location.origin ? `${u.pathname}${u.search}` : u.toString();
}

export function parseQueryResult(body: unknown): QueryResult {
  const parsed = QueryResultSchema.safeParse(body);
  if (!parsed.success) throw new Error("The data is not a valid query result ({columns, rows}).");
  return parsed.data;
}

/** Where a stored result's column descriptions are (`/api/data/<id>/columns`), or null for data
 * that is not a stored result. */
export function columnsUrl(url: string): string | null {
  const u = new URL(url, window.location.origin);
  if (u.origin !== window.location.origin || !/^\/api\/data\/[^/]+$/.test(u.pathname)) return null;
  return `${u.pathname}/columns`;
}

/** The result's column descriptions; none (the values decide how they read) when they cannot be read. */
async function loadColumns(url: string, signal?: AbortSignal): Promise<ResultColumnInfo[]> {
  const where = columnsUrl(url);
  if (!where) return [];
  try {
    const response = await request(where, signal ? { signal } : {});
    const parsed = ResultColumnsSchema.safeParse(await response.json());
    return parsed.success ? parsed.data.columns : [];
  } catch {
    return [];
  }
}

export async function loadData(url: string, format: DataFormat, signal?: AbortSignal): Promise<LoadedData> {
  const described = loadColumns(url, signal);
  const response = await request(dataUrlWithFormat(url, format), signal ? { signal } : {});
  const type = response.headers.get("Content-Type") ?? "";
  const count = Number.parseInt(response.headers.get("X-Row-Count") ?? "", 10);
  const extent: ResultExtent = {
    rowCount: Number.isFinite(count) ? count : null,
    truncated: response.headers.get("X-Truncated") === "true",
    columns: await described,
  };
  const isJson = format === "json" || (format === "auto" && type.includes("json"));
  if (!isJson) return { ...extent, format: "parquet", url, buffer: await response.arrayBuffer() };
  return { ...extent, format: "json", url, result: parseQueryResult(await response.json()) };
}

/** Where the stored result downloads as a file (`format` csv or parquet) named after `name`. */
export function downloadUrl(url: string, format: "csv" | "parquet", name: string): string {
  const u = new URL(dataUrlWithFormat(url, "auto"), window.location.origin);
  u.searchParams.set("format", format);
  u.searchParams.set("download", name);
  return u.origin === window.location.origin ? `${u.pathname}${u.search}` : u.toString();
}

/** Rows for the Data tab: JSON as it is, Parquet decoded here (the decoder loads on first use). */
export async function tableOf(data: LoadedData): Promise<QueryResult> {
  if (data.format === "json") return data.result;
  const { decodeParquet } = await import("@/lib/parquet");
  return parseQueryResult(await decodeParquet(data.buffer));
}

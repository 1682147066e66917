// Fetches a query result for the artifact: JSON is validated here with Zod; Parquet stays bytes and
// is decoded inside the sandbox (and validated there with the same schema).

import { request } from "@/lib/api";
import { type QueryResult, QueryResultSchema } from "@/lib/api-schemas";

export type LoadedData =
  | { format: "json"; url: string; result: QueryResult }
  | { format: "parquet"; url: string; buffer: ArrayBuffer };

export function dataUrlWithFormat(url: string, format: "json" | "parquet"): string {
  const u = new URL(url, window.location.origin);
  u.searchParams.set("format", format);
  return u.origin === window.location.origin ? `${u.pathname}${u.search}` : u.toString();
}

export async function loadData(
  url: string,
  format: "json" | "parquet",
  signal?: AbortSignal,
): Promise<LoadedData> {
  const response = await request(dataUrlWithFormat(url, format), signal ? { signal } : {});
  if (format === "parquet") return { format, url, buffer: await response.arrayBuffer() };
  const parsed = QueryResultSchema.safeParse(await response.json());
  if (!parsed.success) throw new Error("The data is not a valid query result ({columns, rows}).");
  return { format, url, result: parsed.data };
}

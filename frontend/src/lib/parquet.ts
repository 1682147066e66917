// Decodes a Parquet file into {columns, rows}: in the sandbox for rendering, and lazily in the portal
// for the Data tab. Values are made plain for charts, as the JSON form of a result has them
// (executors/results.py): BigInt → number (or string beyond 2^53), a DATE → `2024-01-31`, a
// TIMESTAMP → `2024-01-31T12:00:00` (with `Z` when it is adjusted to UTC).
import { decompress as zstdDecompress } from "fzstd";
import { type Compressors, parquetMetadata, parquetRead, parquetSchema } from "hyparquet";
import type { TabularData } from "@/lib/tabular";

type DateKind = "date" | "timestamp" | "utc";

function plain(value: unknown, kind: DateKind): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) {
    const iso = value.toISOString();
    if (kind === "date") return iso.slice(0, 10);
    const wall = iso.endsWith(".000Z") ? iso.slice(0, 19) : iso.slice(0, -1);
    return kind === "utc" ? `${wall}Z` : wall;
  }
  if (Array.isArray(value)) return value.map((v) => plain(v, kind));
  return value;
}

function dateKind(element: {
  converted_type?: string;
  logical_type?: { type: string; isAdjustedToUTC?: boolean };
}): DateKind {
  if (element.logical_type?.type === "DATE" || element.converted_type === "DATE") return "date";
  if (element.logical_type?.type === "TIMESTAMP" && element.logical_type.isAdjustedToUTC) return "utc";
  return "timestamp";
}

// hyparquet reads Snappy and uncompressed pages itself; the backend writes Zstandard.
const compressors: Compressors = {
  ZSTD: (input, outputLength) => zstdDecompress(input, new Uint8Array(outputLength)),
};

export async function decodeParquet(buffer: ArrayBuffer): Promise<TabularData> {
  const metadata = parquetMetadata(buffer);
  const children = parquetSchema(metadata).children;
  const columns = children.map((child) => child.element.name);
  const kinds = children.map((child) => dateKind(child.element));
  const rows = await new Promise<unknown[][]>((resolve, reject) => {
    parquetRead({
      file: buffer,
      metadata,
      compressors,
      rowFormat: "array",
      onComplete: (data) => resolve(data as unknown[][]),
    }).catch(reject);
  });
  return { columns, rows: rows.map((row) => row.map((v, i) => plain(v, kinds[i] ?? "timestamp"))) };
}

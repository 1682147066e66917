// Decodes a Parquet file into {columns, rows}: in the sandbox for rendering, and lazily in the portal
// for the Data tab. Values are made plain for charts:
// BigInt → number (or string beyond 2^53), Date → ISO string.
import { decompress as zstdDecompress } from "fzstd";
import { type Compressors, parquetMetadata, parquetRead, parquetSchema } from "hyparquet";
import type { TabularData } from "@/lib/tabular";

function plain(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

// hyparquet reads Snappy and uncompressed pages itself; the backend writes Zstandard.
const compressors: Compressors = {
  ZSTD: (input, outputLength) => zstdDecompress(input, new Uint8Array(outputLength)),
};

export async function decodeParquet(buffer: ArrayBuffer): Promise<TabularData> {
  const metadata = parquetMetadata(buffer);
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const rows = await new Promise<unknown[][]>((resolve, reject) => {
    parquetRead({
      file: buffer,
      metadata,
      compressors,
      rowFormat: "array",
      onComplete: (data) => resolve(data as unknown[][]),
    }).catch(reject);
  });
  return { columns, rows: rows.map((row) => row.map(plain)) };
}

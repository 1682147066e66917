// @vitest-environment node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeParquet } from "@/lib/parquet";

function fixture(name: string): ArrayBuffer {
  const bytes = readFileSync(join(__dirname, "..", "..", "scripts", "fixtures", name));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe("decodeParquet", () => {
  it.each(["sales_by_region.parquet", "sales_by_region.zstd.parquet"])(
    "decodes %s (Snappy and the backend's Zstandard) into plain columns and rows",
    async (name) => {
      const data = await decodeParquet(fixture(name));
      expect(data.columns).toEqual(["region", "total_sales", "avg_margin", "first_order"]);
      expect(data.rows).toHaveLength(4);
      // INT64 arrives as a number, not a BigInt; a DATE as the JSON form has it, not a timestamp.
      expect(data.rows[0]).toEqual(["North", 125000, 0.21, "2024-01-03"]);
    },
  );

  it("rejects bytes that are not Parquet", async () => {
    await expect(
      decodeParquet(new TextEncoder().encode("not parquet at all").buffer as ArrayBuffer),
    ).rejects.toThrow();
  });
});

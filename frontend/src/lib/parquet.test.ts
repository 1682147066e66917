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

  it("decodes every encoding the result store writes (delta, byte stream split, dictionary)", async () => {
    // Written by executors/tests/test_parquet_encodings.py: per type one column per encoding the
    // store may choose, all holding the same values; decimals of up to 18 digits as integers.
    const data = await decodeParquet(fixture("result_encodings.parquet"));
    expect(data.rows).toHaveLength(500);
    const byType = new Map<string, number[]>();
    data.columns.forEach((name, index) => {
      const type = name.slice(0, name.lastIndexOf("_"));
      byType.set(type, [...(byType.get(type) ?? []), index]);
    });
    expect([...byType.keys()]).toEqual([
      "int32",
      "int64",
      "date",
      "timestamp",
      "double",
      "float",
      "decimal9",
      "decimal18",
      "decimal38",
      "text",
    ]);
    for (const indexes of byType.values()) {
      const [first, ...others] = indexes.map((i) => data.rows.map((row) => row[i]));
      for (const other of others) expect(other).toEqual(first);
    }
    const value = (row: number, type: string) => data.rows[row]?.[data.columns.indexOf(`${type}_dictionary`)];
    expect(value(0, "int64")).toBe(0);
    expect(value(499, "int32")).toBe(1498);
    expect(value(499, "date")).toBe("2028-02-07");
    expect(value(499, "timestamp")).toBe("2024-01-02T08:59:00");
    expect(value(0, "double")).toBe(-398.061);
    expect(value(0, "decimal9")).toBe(7008.35);
    expect(value(0, "decimal18")).toBe(-25.9319);
    expect(value(499, "decimal38")).toBe(-8061.29);
    expect(value(0, "text")).toBe("name 6");
    expect(value(5, "decimal18")).toBeNull();
  });

  it("rejects bytes that are not Parquet", async () => {
    await expect(
      decodeParquet(new TextEncoder().encode("not parquet at all").buffer as ArrayBuffer),
    ).rejects.toThrow();
  });
});

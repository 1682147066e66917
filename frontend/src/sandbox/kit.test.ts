import { describe, expect, it } from "vitest";
import { colorSchemes, downsample, formatDate, formatNumber, getColors, rowsToObjects } from "@/sandbox/kit";

describe("@vizorch/kit", () => {
  it("rowsToObjects zips column names with row values", () => {
    expect(
      rowsToObjects({
        columns: ["region", "sales"],
        rows: [
          ["EU", 10],
          ["US", 20],
        ],
      }),
    ).toEqual([
      { region: "EU", sales: 10 },
      { region: "US", sales: 20 },
    ]);
  });

  it("formatNumber supports compact, decimals and percent", () => {
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(1234567, { compact: true })).toBe("1.2M");
    expect(formatNumber(1.23456, { decimals: 2 })).toBe("1.23");
    expect(formatNumber(0.256, { percent: true })).toBe("25.6%");
    expect(formatNumber(Number.NaN)).toBe("NaN");
  });

  it("formatDate formats by grain without shifting bare dates across time zones", () => {
    expect(formatDate("2024-03-01", "day")).toBe("Mar 1, 2024");
    expect(formatDate("2024-03-01", "month")).toBe("Mar 2024");
    expect(formatDate("2024-08-15", "quarter")).toBe("Q3 2024");
    expect(formatDate(new Date(Date.UTC(2023, 0, 2)), "year")).toBe("2023");
    expect(formatDate("2024-03-04", "week")).toBe("Week of Mar 4, 2024");
    expect(formatDate("not a date")).toBe("not a date");
  });

  it("has the seven contract colour schemes and falls back to default", () => {
    expect(Object.keys(colorSchemes).sort()).toEqual([
      "blues",
      "cool",
      "default",
      "greens",
      "mono",
      "vivid",
      "warm",
    ]);
    expect(getColors("warm")).toEqual([...colorSchemes.warm]);
    expect(getColors("nope")).toEqual([...colorSchemes.default]);
    getColors("default").push("#000");
    expect(colorSchemes.default).toHaveLength(8);
  });

  it("downsample keeps the first and last point and the requested count", () => {
    const points = Array.from({ length: 10_000 }, (_, i) => i);
    const out = downsample(points, 100);
    expect(out).toHaveLength(100);
    expect(out[0]).toBe(0);
    expect(out.at(-1)).toBe(9_999);
    expect([...out].sort((a, b) => a - b)).toEqual(out);
    expect(downsample([1, 2, 3], 10)).toEqual([1, 2, 3]);
    expect(downsample([1, 2, 3], 0)).toEqual([]);
  });
});

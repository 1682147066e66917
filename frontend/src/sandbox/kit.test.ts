import { describe, expect, it } from "vitest";
import {
  colorSchemes,
  columnFormatter,
  dateGrainOf,
  downsample,
  downsampleLine,
  formatDate,
  formatNumber,
  formatterCount,
  getColors,
  niceTicks,
  rowsToObjects,
  tickFormatter,
} from "@/sandbox/kit";

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

  it("tick labels of an axis of averages are distinct", () => {
    const ticks = niceTicks([0.02, 0.071, 0.094]);
    expect(ticks).toEqual([0, 0.025, 0.05, 0.075, 0.1]);
    const compact = ticks.map(tickFormatter(ticks, { compact: true }));
    expect(compact).toEqual(["0", "0.025", "0.05", "0.075", "0.1"]);
    expect(new Set(compact).size).toBe(ticks.length);
    // Large round values need no decimals at all.
    const big = niceTicks([0, 4_200_000]);
    expect(big.map(tickFormatter(big, { compact: true }))).toEqual(["0", "2M", "4M", "6M"]);
  });

  it("tick labels are percentages when the column's format is percent", () => {
    const ticks = niceTicks([0.01, 0.12]);
    const labels = ticks.map(tickFormatter(ticks, { percent: true }));
    expect(labels).toEqual(["0%", "5%", "10%", "15%"]);
    const fine = [0, 0.0025, 0.005];
    expect(fine.map(tickFormatter(fine, { percent: true }))).toEqual(["0.00%", "0.25%", "0.50%"]);
  });

  it("formats currency and builds each Intl formatter once per set of options", () => {
    expect(formatNumber(1234.5, { currency: "USD" })).toBe("$1,234.50");
    formatNumber(1, { decimals: 3 });
    const built = formatterCount();
    for (let i = 0; i < 1000; i++) {
      formatNumber(i + 0.5, { decimals: 3 });
      formatDate("2024-03-01", "month");
    }
    formatDate("2024-03-01", "month");
    // At most the month format was new; the thousand calls built nothing more.
    expect(formatterCount()).toBeLessThanOrEqual(built + 1);
    const after = formatterCount();
    for (let i = 0; i < 1000; i++) formatDate(`2024-03-${String((i % 28) + 1).padStart(2, "0")}`, "month");
    expect(formatterCount()).toBe(after);
  });

  it("table dates read by their grain, never as raw ISO timestamps", () => {
    const days = ["2021-01-01T00:00:00.000Z", "2021-01-02T00:00:00.000Z"];
    expect(dateGrainOf(days)).toBe("day");
    expect(days.map(columnFormatter(days))).toEqual(["Jan 1, 2021", "Jan 2, 2021"]);
    const months = ["2021-01-01", "2021-02-01", null];
    expect(dateGrainOf(months)).toBe("month");
    expect(months.map(columnFormatter(months))).toEqual(["Jan 2021", "Feb 2021", ""]);
    const years = ["2021-01-01", "2022-01-01"];
    expect(years.map(columnFormatter(years))).toEqual(["2021", "2022"]);
    // The catalog's grain wins over what the values allow.
    expect(columnFormatter(years, { grain: "day" })("2021-01-01")).toBe("Jan 1, 2021");
    const times = ["2024-03-01T14:30:00", "2024-03-01T00:00:00"];
    expect(times.map(columnFormatter(times))).toEqual(["Mar 1, 2024, 14:30", "Mar 1, 2024, 00:00"]);
    expect(columnFormatter([0.25], { format: "percent" })(0.25)).toBe("25.0%");
    expect(columnFormatter(["EU"])("EU")).toBe("EU");
  });

  it("downsampleLine keeps every bucket's peak and dip, in order", () => {
    const points = Array.from({ length: 100_000 }, (_, i) => ({ i, v: i === 54_321 ? 1e6 : i % 7 }));
    const out = downsampleLine(points, 1000, (p) => p.v);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out.length).toBeGreaterThan(900);
    expect(out[0]?.i).toBe(0);
    expect(out.at(-1)?.i).toBe(99_999);
    expect(out.some((p) => p.v === 1e6)).toBe(true);
    expect(out.map((p) => p.i)).toEqual([...out.map((p) => p.i)].sort((a, b) => a - b));
    expect(downsampleLine([1, 2, 3], 10, (v) => v)).toEqual([1, 2, 3]);
  });
});

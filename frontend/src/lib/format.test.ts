import { describe, expect, it } from "vitest";
import { columnFormatter, columnOf, formatterCount, formatValue, numberFormatOf } from "@/lib/format";
import type { ResultColumn } from "@/lib/generated/types";

const column = (name: string, extra: Partial<ResultColumn>): ResultColumn => ({
  name,
  type: "number",
  format: "number",
  ...extra,
});

describe("formatValue", () => {
  it("shows a rate as a percent and money in its currency", () => {
    expect(formatValue(column("rate", { format: "percent" }), 0.125)).toBe("12.5%");
    expect(formatValue(column("amount", { format: "currency", currency: "EUR" }), 1234.5)).toBe("€1,234.50");
    expect(
      formatValue(column("amount", { format: "currency", currency: "USD" }), 1_250_000, { compact: true }),
    ).toBe("$1.3M");
  });

  it("shows a date by its grain, whatever form the value has", () => {
    const month = column("month", { type: "date", format: "date", grain: "month" });
    expect(formatValue(month, "2021-01-01")).toBe("Jan 2021");
    expect(formatValue(month, "2021-01-01T00:00:00.000Z")).toBe("Jan 2021");
    expect(formatValue(month, new Date(Date.UTC(2021, 1, 1)))).toBe("Feb 2021");
    expect(formatValue(column("q", { type: "date", format: "date", grain: "quarter" }), "2021-04-01")).toBe(
      "Q2 2021",
    );
  });

  it("without a grain shows a day, or the time of day when there is one", () => {
    const at = column("at", { type: "timestamp", format: "datetime", grain: null });
    expect(formatValue(at, "2024-03-01T00:00:00")).toBe("Mar 1, 2024");
    expect(formatValue(at, "2024-03-01T14:30:00")).toBe("Mar 1, 2024, 14:30");
  });

  it("reads whole numbers, text and nothing as they are", () => {
    expect(formatValue(column("n", { type: "integer", format: "integer" }), 12345)).toBe("12,345");
    expect(formatValue(column("name", { type: "text", format: "text" }), "North")).toBe("North");
    expect(formatValue(column("rate", { format: "percent" }), null)).toBe("");
    expect(formatValue(undefined, 0.5)).toBe("0.50");
  });

  it("builds no new Intl formatter for values it has formatted before", () => {
    const rate = column("rate", { format: "percent" });
    formatValue(rate, 0.1);
    const built = formatterCount();
    for (let i = 0; i < 1000; i++) formatValue(rate, i / 1000);
    expect(formatterCount()).toBe(built);
  });
});

describe("columnOf and numberFormatOf", () => {
  it("find a column's description in the data and its number format", () => {
    const data = {
      columns: ["region", "rate"],
      rows: [["North", 0.1]],
      fields: [column("region", { type: "text", format: "text" }), column("rate", { format: "percent" })],
    };
    expect(columnOf(data, "rate")?.format).toBe("percent");
    expect(columnOf({ columns: ["x"], rows: [] }, "x")).toBeUndefined();
    expect(numberFormatOf(columnOf(data, "rate"), { compact: true })).toEqual({
      percent: true,
      compact: true,
    });
  });
});

describe("columnFormatter", () => {
  it("gives a date column without a grain the coarsest grain its values allow", () => {
    const format = columnFormatter(
      ["2021-01-01", "2021-02-01"],
      column("d", { type: "date", format: "date" }),
    );
    expect(format("2021-02-01")).toBe("Feb 2021");
  });
});

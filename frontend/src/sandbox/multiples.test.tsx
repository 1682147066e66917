import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ResultColumn } from "@/lib/generated/types";
import { multiplesCaption, SmallMultiples, smallMultiplesOf } from "@/sandbox/kit";

afterEach(() => cleanup());

const MONTHS = Array.from({ length: 12 }, (_, i) => `2023-${String(i + 1).padStart(2, "0")}-01`);

/** A monthly result by `n` series; series i sells (i + 1) a month, so "S29" is the largest. */
function monthly(n: number) {
  const rows: unknown[][] = [];
  // Newest month first: panels still read oldest to newest.
  for (const month of [...MONTHS].reverse())
    for (let i = 0; i < n; i++) rows.push([month, `S${i}`, (i + 1) * (month === "2023-06-01" ? 2 : 1)]);
  return { columns: ["month", "store", "sales"], rows };
}

const fields: ResultColumn[] = [
  { name: "month", type: "date", format: "date", grain: "month" },
  { name: "store", type: "text", format: "text" },
  { name: "sales", type: "number", format: "currency", currency: "EUR" },
];

describe("SmallMultiples", () => {
  it("keeps the largest series as panels, each over the same months in order, on one value scale", () => {
    const m = smallMultiplesOf(monthly(30), { x: "month", series: "store", y: "sales" });
    expect(m.panels).toHaveLength(24);
    expect(m.panels[0]?.name).toBe("S29");
    expect(m.hidden).toEqual(["S5", "S4", "S3", "S2", "S1", "S0"]);
    expect(m.xIsTime).toBe(true);
    for (const panel of m.panels) expect(panel.points.map((p) => p.x)).toEqual(m.xs);
    expect(m.xs[0]).toBe("Jan 2023");
    expect(m.xs.at(-1)).toBe("Dec 2023");
    // One scale for all: from zero past the largest value of any panel (S29's June, 60).
    expect(m.ticks[0]).toBe(0);
    expect(m.ticks.at(-1)).toBeGreaterThanOrEqual(60);
    const caption = multiplesCaption(m);
    expect(caption).toBe("The 24 largest of 30 series; not shown: S5, S4, S3, S2, S1, S0.");
  });

  it("names at most eight series left out and counts the rest", () => {
    const m = smallMultiplesOf(monthly(40), { x: "month", series: "store", y: "sales", maxPanels: 24 });
    expect(multiplesCaption(m)).toBe(
      "The 24 largest of 40 series; not shown: S15, S14, S13, S12, S11, S10, S9, S8 and 8 more.",
    );
    expect(multiplesCaption(smallMultiplesOf(monthly(12), { x: "month", series: "store", y: "sales" }))).toBe(
      "",
    );
  });

  it("shows the same largest categories in the same order in every bar panel", () => {
    const rows: unknown[][] = [];
    for (let s = 0; s < 10; s++)
      for (let c = 0; c < 15; c++) rows.push([`Category ${c}`, `Series ${s}`, c === 3 ? 1000 : c]);
    const m = smallMultiplesOf(
      { columns: ["category", "series", "sales"], rows },
      {
        x: "category",
        series: "series",
        y: "sales",
      },
    );
    expect(m.xIsTime).toBe(false);
    expect(m.xs).toHaveLength(10);
    expect(m.xs.slice(0, 3)).toEqual(["Category 3", "Category 14", "Category 13"]);
    for (const panel of m.panels) expect(panel.points.map((p) => p.x)).toEqual(m.xs);
    expect(multiplesCaption(m)).toBe("Each panel shows the top 10 of 15 categories.");
    expect(
      smallMultiplesOf(
        { columns: ["category", "series", "sales"], rows },
        {
          x: "category",
          series: "series",
          y: "sales",
          maxCategories: 0,
        },
      ).xs,
    ).toHaveLength(15);
  });

  it("draws a long daily series in a few hundred points per panel, keeping every peak", () => {
    const rows: unknown[][] = [];
    const start = Date.UTC(2021, 0, 1);
    for (let d = 0; d < 1400; d++) {
      const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
      for (let s = 0; s < 10; s++) rows.push([day, `S${s}`, d === 777 && s === 4 ? 9999 : (d % 5) + s]);
    }
    const m = smallMultiplesOf(
      { columns: ["day", "store", "sales"], rows },
      { x: "day", series: "store", y: "sales" },
    );
    expect(m.xs.length).toBeLessThanOrEqual(240);
    for (const panel of m.panels) expect(panel.points.map((p) => p.x)).toEqual(m.xs);
    const s4 = m.panels.find((p) => p.name === "S4");
    expect(s4?.points.some((p) => p.y === 9999)).toBe(true);
    expect(m.xs[0]).toBe("Jan 1, 2021");
  });

  it("renders a titled panel per series, a caption naming what is left out, and no legend", () => {
    const data = monthly(26);
    const { container } = render(
      <SmallMultiples data={{ ...data, fields }} x="month" series="store" y="sales" />,
    );
    const panels = container.querySelectorAll("[data-vz-panel]");
    expect(panels).toHaveLength(24);
    const titles = [...container.querySelectorAll("[data-vz-panel-title]")].map((t) => t.textContent);
    expect(titles.slice(0, 3)).toEqual(["S25", "S24", "S23"]);
    expect(container.querySelector("[data-vz-caption]")?.textContent).toBe(
      "The 24 largest of 26 series; not shown: S1, S0.",
    );
    expect(container.querySelector(".recharts-legend-wrapper")).toBeNull();
    expect(container.querySelector("[data-vz-multiples]")?.getAttribute("data-vz-multiples")).toBe("24");
  });

  it("reads the series' dates by their grain and says so when there is nothing to draw", () => {
    const rows = MONTHS.flatMap((m) => ["2022-01-01", "2023-01-01"].map((y) => [m, y, 0.1]));
    const m = smallMultiplesOf(
      { columns: ["month", "year", "margin"], rows },
      { x: "month", series: "year", y: "margin" },
    );
    expect(m.panels.map((p) => p.name).sort()).toEqual(["2022", "2023"]);
    const { container } = render(
      <SmallMultiples
        data={{ columns: ["month", "store", "sales"], rows: [] }}
        x="month"
        series="store"
        y="sales"
      />,
    );
    expect(container.textContent).toBe("No rows match this question.");
  });
});

import { describe, expect, it } from "vitest";
import { buildControls, valuesOf } from "@/lib/params";

const base = { title: "Sales by region", chart_type: "bar", color_scheme: "blues" };

describe("buildControls", () => {
  it("builds each declared control kind with the current value", () => {
    const specs = buildControls(
      [
        { name: "title", kind: "text", label: "Title" },
        { name: "chart_type", kind: "select", label: "Chart", options: ["bar", "line"] },
        { name: "top_n", kind: "slider", label: "Top N", min: 1, max: 20, step: 1 },
        { name: "limit", kind: "number", label: "Limit", min: 0 },
        { name: "show_labels", kind: "switch", label: "Labels" },
        { name: "color_scheme", kind: "color_scheme", label: "Colours" },
      ],
      { ...base, top_n: 5, limit: 10, show_labels: true },
    );
    expect(specs).toEqual([
      { name: "title", label: "Title", kind: "text", value: "Sales by region" },
      { name: "chart_type", label: "Chart", kind: "select", value: "bar", options: ["bar", "line"] },
      { name: "top_n", label: "Top N", kind: "slider", value: 5, min: 1, max: 20, step: 1 },
      { name: "limit", label: "Limit", kind: "number", value: 10, min: 0, step: 1 },
      { name: "show_labels", label: "Labels", kind: "switch", value: true },
      expect.objectContaining({ name: "color_scheme", kind: "color_scheme", value: "blues" }),
    ]);
  });

  it("infers controls for values without one, so the required three are always editable", () => {
    const specs = buildControls([], { ...base, show_legend: false, top_n: 10, sort: "desc" });
    expect(specs.map((s) => [s.name, s.kind])).toEqual([
      ["title", "text"],
      ["chart_type", "select"],
      ["color_scheme", "color_scheme"],
      ["show_legend", "switch"],
      ["top_n", "number"],
      ["sort", "select"],
    ]);
    const chart = specs.find((s) => s.name === "chart_type");
    expect(chart?.kind === "select" && chart.options).toEqual([
      "bar",
      "line",
      "area",
      "pie",
      "scatter",
      "table",
      "kpi",
      "multiples",
    ]);
  });

  it("repairs what the model got wrong", () => {
    const specs = buildControls(
      [
        { name: "top_n", kind: "slider", label: "", min: 1, max: 10 },
        { name: "top_n", kind: "text", label: "Duplicate" },
        { name: "mode", kind: "select", label: "Mode", options: ["a", "b"] },
        { name: "range", kind: "slider", label: "No range" },
        { name: "empty", kind: "select", label: "No options" },
        { name: " ", kind: "text", label: "Nameless" },
      ],
      { ...base, top_n: 50, mode: "c", range: "7", empty: "x" },
    );
    const byName = Object.fromEntries(specs.map((s) => [s.name, s]));
    // Out of range is clamped; a missing label comes from the name; duplicates are dropped.
    expect(byName.top_n).toMatchObject({ kind: "slider", value: 10, label: "Top n" });
    // A value outside the options stays selectable.
    expect(byName.mode).toMatchObject({ kind: "select", value: "c", options: ["c", "a", "b"] });
    // A slider without a range becomes a number input; a select without options a text input.
    expect(byName.range).toMatchObject({ kind: "number", value: 7 });
    expect(byName.empty).toMatchObject({ kind: "text", value: "x" });
    expect(specs.some((s) => s.name.trim() === "")).toBe(false);
  });

  it("falls back to the default colour scheme for an unknown one", () => {
    const specs = buildControls([], { ...base, color_scheme: "rainbow" });
    expect(specs.find((s) => s.name === "color_scheme")?.value).toBe("default");
  });

  it("reads the values back out of the controls", () => {
    const specs = buildControls([{ name: "top_n", kind: "number", label: "N", min: 1 }], {
      ...base,
      top_n: 0,
      extra: [1],
    });
    expect(valuesOf(specs, { ...base, top_n: 0, extra: [1] })).toEqual({ ...base, top_n: 1, extra: [1] });
  });
});

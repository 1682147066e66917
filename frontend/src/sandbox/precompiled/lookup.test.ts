import components from "virtual:analyst-components";
import { transform } from "sucrase";
import { describe, expect, it } from "vitest";
import { precompiledFor } from "@/sandbox/precompiled/lookup";
import { TRANSFORM_OPTIONS } from "@/sandbox/precompiled/options";

const compiled = (code: string) => transform(code, TRANSFORM_OPTIONS).code;

// What the offline analyst writes (analyst/charts.py, `_with_spec`): the SPEC line in place of the
// file's analyst:spec block.
function written(name: string, specJson: string): string {
  const c = components.find((each) => each.name === name);
  if (!c) throw new Error(`no component ${name}`);
  return c.specType === null ? c.before : `${c.before}const SPEC: ${c.specType} = ${specJson};\n${c.after}`;
}

const SPEC = JSON.stringify({
  chartType: "bar",
  x: "region",
  values: ["sales"],
  percent: [],
  note: "\u00e9 \\u2028",
});

describe("the offline analyst's precompiled components", () => {
  it("are every component of analyst/charts", () => {
    expect(components.map((c) => c.name)).toEqual(["cartesian.tsx", "kpi.tsx", "scatter.tsx", "table.tsx"]);
  });

  it.each(["cartesian.tsx", "kpi.tsx", "scatter.tsx", "table.tsx"])(
    "%s with its SPEC filled in is exactly what the transform makes of it",
    (name) => {
      const code = written(name, SPEC);
      expect(precompiledFor(code, components)).toBe(compiled(code));
    },
  );

  it("leaves an edited component to the transform", () => {
    const code = written("cartesian.tsx", SPEC).replace("const MAX_SERIES = 8;", "const MAX_SERIES = 9;");
    expect(precompiledFor(code, components)).toBeNull();
    expect(precompiledFor(`${written("table.tsx", "")}\n// more`, components)).toBeNull();
  });

  it.each([
    ["not JSON", '{ chartType: "bar" }'],
    ["a statement after the value", '{"x": 1}; globalThis.leak = 1'],
    ["a second line", '{"x": 1};\nglobalThis.leak = 1'],
    ["nothing", ""],
  ])("leaves a SPEC line that is %s to the transform", (_, value) => {
    expect(precompiledFor(written("kpi.tsx", value), components)).toBeNull();
  });
});

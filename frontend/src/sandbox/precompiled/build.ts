// Build time (the Vite plugin in vite.config.ts, and the unit tests): the offline analyst's chart
// components (analyst/charts/*.tsx) compiled once, the way the sandbox compiles any component, with
// their SPEC literal cut out. The analyst writes a component by putting one `const SPEC: Kind = <JSON>;`
// line in place of the file's `// analyst:spec` ... `// analyst:end` block (analyst/charts.py,
// `_with_spec`); nothing else changes. The sandbox recognises such a component (lookup.ts) and
// takes its JavaScript from here instead of running the TSX transform on the first paint's path.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { transform } from "sucrase";
import { TRANSFORM_OPTIONS } from "./options";
import type { Precompiled } from "./types";

const SPEC_BLOCK = /\/\/ analyst:spec\n[\s\S]*?\/\/ analyst:end\n/;
const PLACEHOLDER = "__VIZORCH_SPEC__";

/** Every component of `dir`, by file name. Throws when one has a SPEC block the sandbox could not
 * take apart (the build fails rather than ship a template that never matches). */
export function precompileComponents(dir: string): Precompiled[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".tsx"))
    .sort()
    .map((name) => precompileComponent(name, readFileSync(join(dir, name), "utf8")));
}

export function precompileComponent(name: string, source: string): Precompiled {
  const block = SPEC_BLOCK.exec(source);
  if (!block)
    return {
      name,
      specType: null,
      before: source,
      after: "",
      compiledBefore: compile(source),
      compiledAfter: "",
    };
  const kind = /const SPEC: (\w+) =/.exec(block[0])?.[1];
  if (!kind) throw new Error(`${name}: the analyst:spec block has no \`const SPEC: Kind =\` line`);
  const before = source.slice(0, block.index);
  const after = source.slice(block.index + block[0].length);
  const compiled = compile(`${before}const SPEC: ${kind} = ${PLACEHOLDER};\n${after}`);
  const marker = `const SPEC = ${PLACEHOLDER};`;
  const at = compiled.indexOf(marker);
  if (at < 0 || compiled.indexOf(marker, at + 1) >= 0)
    throw new Error(`${name}: the compiled component does not keep its SPEC line`);
  return {
    name,
    specType: kind,
    before,
    after,
    compiledBefore: compiled.slice(0, at + "const SPEC = ".length),
    compiledAfter: compiled.slice(at + marker.length - 1),
  };
}

function compile(source: string): string {
  return transform(source, TRANSFORM_OPTIONS).code;
}

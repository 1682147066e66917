// Node, for chat/tests/test_offline_components.py (bundled there with esbuild): for every TSX file
// given, whether the sandbox takes it precompiled, and whether that JavaScript is exactly what the
// sandbox's own TSX transform makes of it. Usage: check <analyst/charts dir> <file.tsx>...
import { readFileSync } from "node:fs";
import { transform } from "sucrase";
import { precompileComponents } from "./build";
import { precompiledFor } from "./lookup";
import { TRANSFORM_OPTIONS } from "./options";

const [dir = "", ...files] = process.argv.slice(2);
const components = precompileComponents(dir);
const report: Record<string, { precompiled: boolean; same: boolean }> = {};
for (const file of files) {
  const code = readFileSync(file, "utf8");
  const precompiled = precompiledFor(code, components);
  report[file] = {
    precompiled: precompiled !== null,
    same: precompiled === transform(code, TRANSFORM_OPTIONS).code,
  };
}
console.log(JSON.stringify(report));

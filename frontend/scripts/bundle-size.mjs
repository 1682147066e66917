// Reports the gzip size of each entry (its own chunk, every chunk it imports statically, its CSS)
// from dist/manifest.json, and fails when one is over budget.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const manifest = JSON.parse(readFileSync(join(dist, "manifest.json"), "utf8"));
const budgets = { "src/main.tsx": 300, "src/sandbox/main.tsx": 450 };

function filesOf(name, seen = new Set()) {
  const chunk = manifest[name];
  if (!chunk || seen.has(chunk.file)) return seen;
  seen.add(chunk.file);
  for (const css of chunk.css ?? []) seen.add(css);
  for (const next of chunk.imports ?? []) filesOf(next, seen);
  return seen;
}

let over = false;
for (const [entry, budget] of Object.entries(budgets)) {
  const files = [...filesOf(entry)];
  const kb = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f))).length, 0) / 1000;
  const ok = kb <= budget;
  over ||= !ok;
  console.log(
    `${ok ? "ok  " : "OVER"} ${entry}: ${kb.toFixed(1)} kB gzip (budget ${budget} kB, ${files.length} files)`,
  );
}
process.exit(over ? 1 : 0);

// Writes a Brotli (.br) and a gzip (.gz) copy next to every text asset of the build. whitenoise
// serves the copy the browser accepts with `Content-Encoding` (it looks for `<file>.br` and
// `<file>.gz` beside each static file, also when it serves frontend/dist through the finders),
// so the portal and the sandbox download a quarter of their bytes, compressed once at build time.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const TEXT = new Set([".js", ".mjs", ".css", ".html", ".json", ".svg", ".map", ".txt"]);
// Below this a compressed copy saves less than the headers that announce it.
const MIN_BYTES = 1024;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let raw = 0;
let br = 0;
let count = 0;
for (const path of files(dist)) {
  if (!TEXT.has(extname(path))) continue;
  const body = readFileSync(path);
  if (body.length < MIN_BYTES) continue;
  const brotli = brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
  writeFileSync(`${path}.br`, brotli);
  writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
  raw += body.length;
  br += brotli.length;
  count += 1;
}
console.log(
  `precompressed ${count} files: ${(raw / 1000).toFixed(1)} kB raw, ${(br / 1000).toFixed(1)} kB brotli`,
);

// Finding 12 of issue 13, as a code check: every run stream of the portal goes through one hook
// (hooks/useRunStream.ts, with resume and de-duplication); nothing else reads SSE or streams a run.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(__dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

function filesCalling(name: string): string[] {
  const call = new RegExp(`\\b${name}\\(`);
  return sources(SRC)
    .filter((path) => call.test(readFileSync(path, "utf8")))
    .map((path) => relative(SRC, path))
    .sort();
}

describe("run streams", () => {
  it("are read by lib/sse's streamRun only, and streamRun is called by useRunStream only", () => {
    expect(filesCalling("readSse")).toEqual(["lib/sse.ts"]);
    expect(filesCalling("streamRun")).toEqual(["hooks/useRunStream.ts", "lib/sse.ts"]);
  });

  it("never touch a response body's reader outside lib/sse", () => {
    expect(filesCalling("getReader").filter((f) => !f.startsWith("sandbox/"))).toEqual(["lib/sse.ts"]);
  });
});

// The offline analyst's components arrive compiled with the sandbox (the `virtual:analyst-components`
// module, made at build time by precompiled/build.ts): a component that is one of them with only its
// SPEC literal filled in gets the JavaScript the TSX transform would have produced, without running
// it. Anything else (a model's component, an edited one) goes through the transform. Either way the
// result is evaluated in the component's Compartment, so what the sandbox refuses is the same.
import type { Precompiled } from "@/sandbox/precompiled/types";

/** The compiled module for `code` when it is one of `components` with a JSON SPEC, else null.
 * The JSON text is spliced in as it came: JSON is a JavaScript expression of the same value, and a
 * text that does not parse as JSON is no match. */
export function precompiledFor(code: string, components: readonly Precompiled[]): string | null {
  for (const c of components) {
    if (c.specType === null) {
      if (code === c.before) return c.compiledBefore;
      continue;
    }
    if (code.length < c.before.length + c.after.length) continue;
    if (!code.startsWith(c.before) || !code.endsWith(c.after)) continue;
    const line = code.slice(c.before.length, code.length - c.after.length);
    const head = `const SPEC: ${c.specType} = `;
    if (!line.startsWith(head) || !line.endsWith(";\n")) continue;
    const json = line.slice(head.length, -2);
    if (!isJsonText(json)) continue;
    return c.compiledBefore + json + c.compiledAfter;
  }
  return null;
}

function isJsonText(text: string): boolean {
  // One line, no line terminators (the analyst writes `json.dumps`, which escapes them) and valid
  // JSON: then it is one expression statement's value and nothing else.
  if (/[\n\r\u2028\u2029]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// Compiles a generated TSX module with react-runner against the fixed scope of docs/artifact.md:
// react, recharts and @vizorch/kit, and nothing else.
import * as React from "react";
import { importCode } from "react-runner";
import * as Recharts from "recharts";
import * as Kit from "@/sandbox/kit";

export const SANDBOX_MODULES: Record<string, unknown> = {
  react: { ...React, default: React },
  recharts: Recharts,
  "@vizorch/kit": Kit,
};

export type VizComponent = React.ComponentType<{ data: Kit.TabularData; params: Record<string, unknown> }>;

export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}

/** Returns the module's default export, or throws CompileError saying what is wrong. */
export function compileViz(code: string): VizComponent {
  if (!code.trim()) throw new CompileError("There is no component code.");
  let exports: Record<string, unknown>;
  try {
    exports = importCode(code, { import: SANDBOX_MODULES }) as Record<string, unknown>;
  } catch (error) {
    throw new CompileError(error instanceof Error ? error.message : String(error));
  }
  const component = exports.default;
  if (typeof component !== "function" && !(typeof component === "object" && component !== null)) {
    throw new CompileError("The code must `export default function Viz({ data, params }) { ... }`.");
  }
  return component as VizComponent;
}

// Compiles a generated TSX module and evaluates it in its own SES Compartment. The module's scope
// is the fixed sandbox scope of docs/artifact.md (react, recharts, @vizorch/kit) plus the globals of
// guard/globals.ts: no window, document or location, and evaluators (`Function`, `eval`) that
// evaluate in that same confined scope. The frame runs under lockdown (guard/lockdown.ts), so
// `constructor.constructor` is inert and the shared intrinsics are frozen.

import analystComponents from "virtual:analyst-components";
import * as Recharts from "recharts";
import { guardExport, makeSandboxReact } from "@/sandbox/guard/elements";
import { sandboxGlobals } from "@/sandbox/guard/globals";
import { REFUSED } from "@/sandbox/guard/refusal";
import * as Kit from "@/sandbox/kit";
import { precompiledFor } from "@/sandbox/precompiled/lookup";
import { TRANSFORM_OPTIONS } from "@/sandbox/precompiled/options";

export type VizComponent = React.ComponentType<{ data: Kit.TabularData; params: Record<string, unknown> }>;

export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}

// Plain, frozen copies of the modules: a namespace object cannot be frozen, and a component must
// not be able to change what the next one (or Recharts itself) sees.
const recharts = { ...Recharts };
const kit = { ...Kit };
const trusted = new Set<unknown>([...Object.values(recharts), ...Object.values(kit)]);
const react = makeSandboxReact({ trusted });

let scope: { modules: Record<string, unknown>; globals: PropertyDescriptorMap } | null = null;

function sandboxScope() {
  // Hardened on first use, after lockdown (harden exists only then).
  scope ??= {
    modules: harden({ react, recharts, "@vizorch/kit": kit }) as Record<string, unknown>,
    globals: sandboxGlobals({ React: react }),
  };
  return scope;
}

function sandboxRequire(modules: Record<string, unknown>) {
  return (name: unknown) => {
    if (typeof name === "string" && Object.hasOwn(modules, name)) return modules[name];
    throw new CompileError(
      `${REFUSED}: there is no module ${JSON.stringify(String(name))} (only react, recharts and @vizorch/kit)`,
    );
  };
}

// The TSX transform (sucrase) is a chunk of its own, loaded only for code that is not one of the
// offline analyst's precompiled components (a model's component, an edited one).
type Transform = typeof import("@/sandbox/transform").transform;
let transform: Transform | null = null;
let loading: Promise<void> | null = null;

/** Loads the TSX transform (once). */
export function loadTransform(): Promise<void> {
  loading ??= import("@/sandbox/transform").then(
    (sucrase) => {
      transform = sucrase.transform;
    },
    (error: unknown) => {
      loading = null; // try again with the next component
      throw error;
    },
  );
  return loading;
}

/** Resolves once `compileViz(code)` can run: at once for a precompiled component, else when the
 * transform has loaded. */
export function prepareCompile(code: string): Promise<void> {
  if (transform || precompiledFor(code, analystComponents) !== null) return Promise.resolve();
  return loadTransform();
}

function toCommonJs(code: string): string {
  if (!transform) throw new CompileError("The component compiler is not loaded yet.");
  try {
    return transform(code, TRANSFORM_OPTIONS).code;
  } catch (error) {
    throw new CompileError(error instanceof Error ? error.message : String(error));
  }
}

/** Returns the module's default export, or throws CompileError saying what is wrong. Code that is
 * not precompiled needs `prepareCompile(code)` (or `loadTransform()`) first. */
export function compileViz(code: string): VizComponent {
  if (!code.trim()) throw new CompileError("There is no component code.");
  performance.mark("vz:compile:start");
  const precompiled = precompiledFor(code, analystComponents);
  const source = precompiled ?? toCommonJs(code);
  performance.mark("vz:compile:transformed");
  const { modules, globals } = sandboxScope();
  const exports: Record<string, unknown> = {};
  try {
    const compartment = new Compartment({ __options__: true });
    Object.defineProperties(compartment.globalThis, globals);
    const factory = compartment.evaluate(`(function (require, exports, module) {${source}\n})`) as (
      require: (name: unknown) => unknown,
      exports: Record<string, unknown>,
      module: { exports: Record<string, unknown> },
    ) => void;
    factory(sandboxRequire(modules), exports, { exports });
  } catch (error) {
    throw new CompileError(error instanceof Error ? error.message : String(error));
  }
  performance.mark("vz:compile:end");
  performance.measure(
    precompiled === null ? "vz:compile:transform" : "vz:compile:precompiled",
    "vz:compile:start",
    "vz:compile:transformed",
  );
  performance.measure("vz:compile:compartment", "vz:compile:transformed", "vz:compile:end");
  const component = exports.default;
  if (typeof component !== "function" && !(typeof component === "object" && component !== null)) {
    throw new CompileError("The code must `export default function Viz({ data, params }) { ... }`.");
  }
  try {
    return guardExport(component) as VizComponent;
  } catch (error) {
    throw new CompileError(error instanceof Error ? error.message : String(error));
  }
}

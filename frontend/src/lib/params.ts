// Builds the parameter controls the artifact panel shows from a params event's control schema,
// normalising what the model sent (missing options, bad ranges) and inferring controls for values
// that came without one (templates exported in the flat format).

import type { ParamControl } from "@/lib/api-schemas";
import { type ColorSchemeName, colorSchemeNames } from "@/lib/color-schemes";

export type ParamValue = string | number | boolean;
export type ParamValues = Record<string, unknown>;

export const CHART_TYPES = ["bar", "line", "area", "pie", "scatter", "table", "kpi", "multiples"] as const;

export type ControlSpec =
  | { name: string; label: string; kind: "text"; value: string }
  | { name: string; label: string; kind: "select"; value: string; options: string[] }
  | { name: string; label: string; kind: "number"; value: number; min?: number; max?: number; step: number }
  | { name: string; label: string; kind: "slider"; value: number; min: number; max: number; step: number }
  | { name: string; label: string; kind: "switch"; value: boolean }
  | { name: string; label: string; kind: "color_scheme"; value: ColorSchemeName; options: ColorSchemeName[] };

const KNOWN_SELECTS: Record<string, readonly string[]> = {
  chart_type: CHART_TYPES,
  sort: ["desc", "asc", "none"],
};

export function labelOf(name: string): string {
  const words = name.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function toBool(value: unknown): boolean {
  if (typeof value === "string") return value === "true" || value === "1";
  return Boolean(value);
}

function buildOne(control: ParamControl, value: unknown): ControlSpec | null {
  const name = control.name.trim();
  if (!name) return null;
  const label = control.label?.trim() || labelOf(name);
  switch (control.kind) {
    case "text":
      return { name, label, kind: "text", value: value == null ? "" : String(value) };
    case "select": {
      const options = [...new Set((control.options ?? KNOWN_SELECTS[name] ?? []).map(String))];
      const current = value == null ? "" : String(value);
      // Without options to choose from, a select is only a text field.
      if (options.length === 0) return { name, label, kind: "text", value: current };
      if (current && !options.includes(current)) options.unshift(current);
      return { name, label, kind: "select", value: current || (options[0] as string), options };
    }
    case "number":
    case "slider": {
      const min = control.min ?? undefined;
      const max = control.max ?? undefined;
      const step = control.step && control.step > 0 ? control.step : 1;
      const fallback = min ?? 0;
      let current = toNumber(value) ?? fallback;
      if (min !== undefined) current = Math.max(min, current);
      if (max !== undefined) current = Math.min(max, current);
      if (control.kind === "slider" && min !== undefined && max !== undefined && min < max) {
        return { name, label, kind: "slider", value: current, min, max, step };
      }
      return {
        name,
        label,
        kind: "number",
        value: current,
        step,
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
      };
    }
    case "switch":
      return { name, label, kind: "switch", value: toBool(value) };
    case "color_scheme": {
      const current =
        typeof value === "string" && (colorSchemeNames as string[]).includes(value) ? value : "default";
      return {
        name,
        label,
        kind: "color_scheme",
        value: current as ColorSchemeName,
        options: colorSchemeNames,
      };
    }
    default:
      return null;
  }
}

/** Guesses a control for a value that has none. */
export function inferControl(name: string, value: unknown): ParamControl | null {
  if (name === "color_scheme") return { name, kind: "color_scheme", label: "Colour scheme" };
  if (KNOWN_SELECTS[name])
    return { name, kind: "select", label: labelOf(name), options: [...(KNOWN_SELECTS[name] ?? [])] };
  if (typeof value === "boolean") return { name, kind: "switch", label: labelOf(name) };
  if (typeof value === "number")
    return { name, kind: "number", label: labelOf(name), min: name === "top_n" ? 1 : null };
  if (typeof value === "string") return { name, kind: "text", label: labelOf(name) };
  return null;
}

/**
 * The controls to render: every declared control (deduplicated by name, malformed ones dropped),
 * then inferred controls for the remaining values, so `title`, `chart_type` and `color_scheme` are
 * always editable.
 */
export function buildControls(
  controls: readonly ParamControl[] | undefined,
  values: ParamValues,
): ControlSpec[] {
  const specs: ControlSpec[] = [];
  const seen = new Set<string>();
  for (const control of controls ?? []) {
    if (seen.has(control.name)) continue;
    const spec = buildOne(control, values[control.name]);
    if (spec) {
      specs.push(spec);
      seen.add(spec.name);
    }
  }
  for (const [name, value] of Object.entries(values)) {
    if (seen.has(name)) continue;
    const inferred = inferControl(name, value);
    const spec = inferred ? buildOne(inferred, value) : null;
    if (spec) {
      specs.push(spec);
      seen.add(name);
    }
  }
  return specs;
}

/** The values a set of controls currently holds, merged over the original values. */
export function valuesOf(specs: readonly ControlSpec[], base: ParamValues): ParamValues {
  const out: ParamValues = { ...base };
  for (const spec of specs) out[spec.name] = spec.value;
  return out;
}

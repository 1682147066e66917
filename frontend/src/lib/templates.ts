// Turns a stored template into artifact state and back.
import type { ArtifactState } from "@/hooks/useArtifact";
import type { Template } from "@/lib/api-schemas";
import type { ParamControl } from "@/lib/generated/types";
import { ParamControlSchema } from "@/lib/generated/zod";
import type { ParamValues } from "@/lib/params";

export function splitParameters(parameters: Template["parameters"]): {
  values: ParamValues;
  controls: ParamControl[];
} {
  const p = parameters as Record<string, unknown>;
  if (p.values && typeof p.values === "object" && !Array.isArray(p.values)) {
    const controls = Array.isArray(p.controls)
      ? p.controls.flatMap((c) => {
          const parsed = ParamControlSchema.safeParse(c);
          return parsed.success ? [parsed.data] : [];
        })
      : [];
    return { values: p.values as ParamValues, controls };
  }
  return { values: p, controls: [] };
}

export function artifactFromTemplate(template: Template): Partial<ArtifactState> {
  const { values, controls } = splitParameters(template.parameters);
  return {
    generatedCode: template.ui_code,
    currentParams: values,
    controls,
    dataUrl: template.data_url ?? null,
    dataFormat: template.data_format ?? "json",
    sql: template.generated_sql
      ? { engine: template.data_source ?? "duckdb", sql: template.generated_sql }
      : null,
    isGenerating: false,
  };
}

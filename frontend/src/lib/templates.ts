// Turns a stored template into artifact state and back.
import type { ArtifactState } from "@/hooks/useArtifact";
import { type ParamControl, ParamControlSchema, type Template } from "@/lib/api-schemas";
import type { ParamValues } from "@/lib/params";

/** Stored parameters are either {values, controls} (from a run) or the flat values (export format). */
export function splitParameters(parameters: Record<string, unknown> | null | undefined): {
  values: ParamValues;
  controls: ParamControl[];
} {
  const p = parameters ?? {};
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
    // The server picks JSON or Parquet by the result's size.
    dataFormat: "auto",
    sql: template.generated_sql
      ? { engine: template.engine || template.data_source, sql: template.generated_sql }
      : null,
    isGenerating: false,
  };
}

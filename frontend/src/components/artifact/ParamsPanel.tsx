// Parameter controls built from the params control schema; disabled while a run streams.
import { Loader2 } from "lucide-react";
import { useMemo } from "react";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Slider } from "@/components/ui/slider";
import { Switch } from "@/components/ui/switch";
import type { ParamControl } from "@/lib/api-schemas";
import { getColors } from "@/lib/color-schemes";
import { buildControls, type ControlSpec, type ParamValues } from "@/lib/params";

function Swatches({ name }: { name: string }) {
  return (
    <span className="flex gap-0.5">
      {getColors(name)
        .slice(0, 5)
        .map((c) => (
          <span key={c} className="h-3 w-3 rounded-sm" style={{ background: c }} />
        ))}
    </span>
  );
}

function Control({
  spec,
  disabled,
  onChange,
}: {
  spec: ControlSpec;
  disabled: boolean;
  onChange: (value: unknown) => void;
}) {
  const id = `param-${spec.name}`;
  const testId = `param-${spec.name}`;
  switch (spec.kind) {
    case "text":
      return (
        <Input
          id={id}
          data-testid={testId}
          value={spec.value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    case "number":
      return (
        <Input
          id={id}
          data-testid={testId}
          type="number"
          value={spec.value}
          min={spec.min}
          max={spec.max}
          step={spec.step}
          disabled={disabled}
          onChange={(e) => {
            const n = e.target.valueAsNumber;
            if (Number.isFinite(n)) onChange(n);
          }}
        />
      );
    case "slider":
      return (
        <div className="flex items-center gap-3">
          <Slider
            id={id}
            data-testid={testId}
            thumbLabel={spec.label}
            value={[spec.value]}
            min={spec.min}
            max={spec.max}
            step={spec.step}
            disabled={disabled}
            onValueChange={([v]) => onChange(v)}
          />
          <span className="w-10 text-right text-xs tabular-nums text-muted-foreground">{spec.value}</span>
        </div>
      );
    case "switch":
      return (
        <Switch
          id={id}
          data-testid={testId}
          checked={spec.value}
          disabled={disabled}
          onCheckedChange={onChange}
        />
      );
    case "select":
    case "color_scheme":
      return (
        <Select value={spec.value} disabled={disabled} onValueChange={onChange}>
          <SelectTrigger id={id} data-testid={testId} aria-label={spec.label}>
            <SelectValue />
          </SelectTrigger>
          <SelectContent>
            {spec.options.map((o) => (
              <SelectItem key={o} value={o}>
                {spec.kind === "color_scheme" ? (
                  <span className="flex items-center gap-2">
                    <Swatches name={o} /> {o}
                  </span>
                ) : (
                  o
                )}
              </SelectItem>
            ))}
          </SelectContent>
        </Select>
      );
  }
}

export function ParamsPanel({
  controls,
  values,
  disabled,
  onChange,
  columns = 2,
}: {
  controls: ParamControl[];
  values: ParamValues;
  disabled: boolean;
  columns?: 1 | 2;
  onChange: (values: ParamValues) => void;
}) {
  const specs = useMemo(() => buildControls(controls, values), [controls, values]);
  if (specs.length === 0 && !disabled) return null;
  return (
    <section aria-label="Parameters" data-testid="params-panel" className="flex flex-col gap-3">
      <div className="flex items-center justify-between">
        <h3 className="text-sm font-semibold">Parameters</h3>
        {disabled ? (
          <span
            className="flex items-center gap-1 text-xs text-muted-foreground"
            data-testid="params-generating"
          >
            <Loader2 className="h-3 w-3 animate-spin" /> Generating...
          </span>
        ) : null}
      </div>
      <fieldset
        disabled={disabled}
        className={columns === 2 ? "grid grid-cols-1 gap-3 sm:grid-cols-2" : "grid grid-cols-1 gap-3"}
      >
        {specs.map((spec) => (
          <div
            key={spec.name}
            className={
              spec.kind === "switch" ? "flex items-center justify-between gap-2" : "flex flex-col gap-1"
            }
          >
            <label htmlFor={`param-${spec.name}`} className="text-xs font-medium text-muted-foreground">
              {spec.label}
            </label>
            <Control
              spec={spec}
              disabled={disabled}
              onChange={(v) => onChange({ ...values, [spec.name]: v })}
            />
          </div>
        ))}
      </fieldset>
    </section>
  );
}

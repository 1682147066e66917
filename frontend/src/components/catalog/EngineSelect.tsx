// Which engine questions run on; shown only when the user may use more than one.
import { Database } from "lucide-react";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import type { Engine } from "@/lib/api-schemas";

export function EngineSelect({
  engines,
  value,
  onChange,
  disabled,
}: {
  engines: Engine[] | null;
  value: string | null;
  onChange: (name: string) => void;
  disabled?: boolean;
}) {
  if (!engines || engines.length < 2 || !value) return null;
  return (
    <Select value={value} onValueChange={onChange} disabled={disabled}>
      <SelectTrigger
        className="h-8 w-auto min-w-40 gap-2 text-xs"
        aria-label="Data engine"
        data-testid="engine-select"
      >
        <Database className="h-3.5 w-3.5 shrink-0 opacity-70" />
        <SelectValue />
      </SelectTrigger>
      <SelectContent>
        {engines.map((e) => (
          <SelectItem key={e.name} value={e.name} data-testid={`engine-option-${e.name}`}>
            {e.label}
          </SelectItem>
        ))}
      </SelectContent>
    </Select>
  );
}

// Lists a template's versions and restores one.
import { History, RotateCcw } from "lucide-react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from "@/components/ui/dialog";
import { api } from "@/lib/api";
import type { Template, TemplateVersion } from "@/lib/api-schemas";

export function VersionsDialog({
  template,
  canRestore,
  onRestored,
}: {
  template: Template;
  canRestore: boolean;
  onRestored: (template: Template) => void;
}) {
  const [open, setOpen] = useState(false);
  const [versions, setVersions] = useState<TemplateVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    setVersions(null);
    setError(null);
    try {
      setVersions(await api.listVersions(template.id));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const restore = async (version: number) => {
    try {
      const restored = await api.restoreVersion(template.id, version);
      setOpen(false);
      onRestored(restored);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) void load();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" data-testid="template-versions">
          <History /> Versions
        </Button>
      </DialogTrigger>
      <DialogContent aria-describedby="versions-desc">
        <DialogHeader>
          <DialogTitle>Versions</DialogTitle>
          <DialogDescription id="versions-desc">
            Restoring a version saves it as the newest one.
          </DialogDescription>
        </DialogHeader>
        {error ? (
          <p role="alert" className="text-sm text-destructive">
            {error}
          </p>
        ) : null}
        {versions === null && !error ? <p className="text-sm text-muted-foreground">Loading…</p> : null}
        <ul className="flex flex-col divide-y rounded-md border">
          {(versions ?? []).map((v) => (
            <li
              key={v.version}
              className="flex items-center justify-between gap-2 p-2 text-sm"
              data-testid="version-row"
            >
              <div>
                <div className="font-medium">
                  v{v.version}
                  {v.version === template.version ? " (current)" : ""}
                  {v.title ? ` · ${v.title}` : ""}
                </div>
                <div className="text-xs text-muted-foreground">
                  {[v.author, v.created_at ? new Date(v.created_at).toLocaleString() : null]
                    .filter(Boolean)
                    .join(" · ")}
                </div>
              </div>
              {canRestore && v.version !== template.version ? (
                <Button
                  variant="outline"
                  size="sm"
                  onClick={() => restore(v.version)}
                  data-testid="version-restore"
                >
                  <RotateCcw /> Restore
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      </DialogContent>
    </Dialog>
  );
}

// Shares a template with users or groups as viewer or editor, and sets its visibility.
import { Plus, Share2, Trash2 } from "lucide-react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { api } from "@/lib/api";
import type { Template } from "@/lib/api-schemas";

type Role = "viewer" | "editor";
type Visibility = (typeof VISIBILITIES)[number];
interface Row {
  key: number;
  kind: "user" | "group";
  name: string;
  role: Role;
}

export const VISIBILITIES = ["private", "shared", "organization"] as const;

export function sharesPayload(rows: Row[]): { user?: string; group?: string; role: Role }[] {
  return rows
    .filter((r) => r.name.trim())
    .map((r) =>
      r.kind === "user" ? { user: r.name.trim(), role: r.role } : { group: r.name.trim(), role: r.role },
    );
}

export function ShareDialog({ template, onSaved }: { template: Template; onSaved: () => void }) {
  const [open, setOpen] = useState(false);
  const [rows, setRows] = useState<Row[]>([]);
  const [visibility, setVisibility] = useState<Visibility>("private");
  // Sent only when changed: the server makes a private template `shared` when it gets shares.
  const [visibilityTouched, setVisibilityTouched] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reset = async () => {
    setError(null);
    setRows([]);
    setVisibilityTouched(false);
    setVisibility(template.visibility);
    try {
      const current = await api.getShares(template.id);
      setVisibility(current.visibility);
      setRows(
        current.shares.map((s, i) => ({
          key: i,
          kind: s.group ? "group" : "user",
          name: s.group ?? s.user ?? "",
          role: s.role,
        })),
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const update = (key: number, patch: Partial<Row>) =>
    setRows((prev) => prev.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.shareTemplate(template.id, {
        shares: sharesPayload(rows),
        ...(visibilityTouched ? { visibility } : {}),
      });
      setOpen(false);
      onSaved();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) void reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" data-testid="share-template">
          <Share2 /> Share
        </Button>
      </DialogTrigger>
      <DialogContent aria-describedby="share-desc">
        <DialogHeader>
          <DialogTitle>Share “{template.title}”</DialogTitle>
          <DialogDescription id="share-desc">
            Viewers can open it and tune parameters; editors can change it.
          </DialogDescription>
        </DialogHeader>
        <div className="flex flex-col gap-2">
          {rows.map((row) => (
            <div key={row.key} className="flex items-center gap-2" data-testid="share-row">
              <Select value={row.kind} onValueChange={(v) => update(row.key, { kind: v as Row["kind"] })}>
                <SelectTrigger className="w-24" aria-label="User or group">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="user">User</SelectItem>
                  <SelectItem value="group">Group</SelectItem>
                </SelectContent>
              </Select>
              <Input
                aria-label="Name"
                data-testid="share-name"
                placeholder={row.kind === "user" ? "username" : "group name"}
                value={row.name}
                onChange={(e) => update(row.key, { name: e.target.value })}
              />
              <Select value={row.role} onValueChange={(v) => update(row.key, { role: v as Role })}>
                <SelectTrigger className="w-28" aria-label="Role">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="viewer">Viewer</SelectItem>
                  <SelectItem value="editor">Editor</SelectItem>
                </SelectContent>
              </Select>
              <Button
                variant="ghost"
                size="icon"
                aria-label="Remove"
                onClick={() => setRows((prev) => prev.filter((r) => r.key !== row.key))}
              >
                <Trash2 />
              </Button>
            </div>
          ))}
          <Button
            variant="outline"
            size="sm"
            className="self-start"
            data-testid="share-add"
            onClick={() =>
              setRows((prev) => [...prev, { key: Date.now(), kind: "user", name: "", role: "viewer" }])
            }
          >
            <Plus /> Add person or group
          </Button>
          <label htmlFor="share-visibility" className="mt-2 flex items-center justify-between gap-2 text-sm">
            Visibility
            <Select
              value={visibility}
              onValueChange={(v) => {
                setVisibility(v as Visibility);
                setVisibilityTouched(true);
              }}
            >
              <SelectTrigger id="share-visibility" className="w-36" data-testid="share-visibility">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                {VISIBILITIES.map((v) => (
                  <SelectItem key={v} value={v}>
                    {v}
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          </label>
          {error ? (
            <p role="alert" className="text-sm text-destructive">
              {error}
            </p>
          ) : null}
        </div>
        <DialogFooter>
          <Button onClick={save} disabled={busy} data-testid="share-submit">
            Save sharing
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

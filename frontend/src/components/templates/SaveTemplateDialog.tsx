// Saves the current run's artifact as a template (title, description, tags).
import { Save } from "lucide-react";
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
import { Textarea } from "@/components/ui/textarea";
import { api } from "@/lib/api";
import type { ParamControl, Template } from "@/lib/api-schemas";
import type { ParamValues } from "@/lib/params";

export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

export function SaveTemplateDialog({
  runId,
  defaultTitle,
  disabled,
  onSaved,
  params,
  controls,
}: {
  runId: string | null;
  defaultTitle: string;
  disabled: boolean;
  /** The parameters as the user tuned them; saved over the run's own when they differ. */
  params: ParamValues;
  controls: ParamControl[];
  onSaved: (template: Template) => void;
}) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    if (!runId || !title.trim()) return;
    setBusy(true);
    setError(null);
    try {
      // One request, one version: the parameters as tuned travel with the run they came from.
      const result = await api.createTemplate({
        run_id: runId,
        title: title.trim(),
        description: description.trim(),
        tags: parseTags(tags),
        parameters: { values: params, controls },
      });
      setOpen(false);
      onSaved(result);
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
        if (next) {
          setTitle(defaultTitle);
          setError(null);
        }
      }}
    >
      <DialogTrigger asChild>
        <Button size="sm" disabled={disabled || !runId} data-testid="save-template">
          <Save /> Save
        </Button>
      </DialogTrigger>
      <DialogContent aria-describedby="save-template-desc">
        <DialogHeader>
          <DialogTitle>Save as template</DialogTitle>
          <DialogDescription id="save-template-desc">
            Keeps the SQL, the component and its parameters so you can reopen, share and refresh it.
          </DialogDescription>
        </DialogHeader>
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label htmlFor="template-title" className="flex flex-col gap-1 text-sm">
            Title
            <Input
              id="template-title"
              data-testid="template-title"
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              required
            />
          </label>
          <label htmlFor="template-description" className="flex flex-col gap-1 text-sm">
            Description
            <Textarea
              id="template-description"
              data-testid="template-description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
            />
          </label>
          <label htmlFor="template-tags" className="flex flex-col gap-1 text-sm">
            Tags (comma separated)
            <Input
              id="template-tags"
              data-testid="template-tags"
              value={tags}
              onChange={(e) => setTags(e.target.value)}
            />
          </label>
          {error ? (
            <p role="alert" className="text-sm text-destructive">
              {error}
            </p>
          ) : null}
          <DialogFooter>
            <Button type="submit" disabled={busy || !title.trim()} data-testid="save-template-submit">
              Save template
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

// One template: renders its stored code with its parameters; editors can save parameters, share,
// restore versions; everyone it is shared with can tune parameters and refresh its data.
import { ArrowLeft, Download, Lock, RefreshCw, Save, Star, Trash2 } from "lucide-react";
import { useCallback, useEffect, useState } from "react";
import { ArtifactPanel } from "@/components/artifact/ArtifactPanel";
import { PromptBox } from "@/components/chat/PromptBox";
import { ShareDialog } from "@/components/templates/ShareDialog";
import { VersionsDialog } from "@/components/templates/VersionsDialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { useArtifact } from "@/hooks/useArtifact";
import { useRunStream } from "@/hooks/useRunStream";
import { api } from "@/lib/api";
import type { Template } from "@/lib/api-schemas";
import { downloadBlob, slugify } from "@/lib/download";
import type { Route } from "@/lib/router";
import { artifactFromTemplate } from "@/lib/templates";

export function TemplatePage({
  id,
  navigate,
  theme,
}: {
  id: string;
  navigate: (route: Route) => void;
  theme: "light" | "dark";
}) {
  const { artifact, dispatch, setParams } = useArtifact();
  const [template, setTemplate] = useState<Template | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refining = useRunStream();

  const show = useCallback(
    (t: Template) => {
      setTemplate(t);
      dispatch({ type: "load", artifact: artifactFromTemplate(t) });
    },
    [dispatch],
  );

  const refresh = useCallback(
    async (t: Template) => {
      setBusy(true);
      setStatus("Refreshing data…");
      try {
        const result = await api.refreshTemplate(t.id);
        dispatch({
          type: "load",
          artifact: {
            ...artifactFromTemplate(t),
            currentParams: artifact.currentParams,
            dataUrl: result.url,
            dataFormat: result.format,
          },
        });
        setStatus(
          `Data refreshed${result.row_count !== undefined ? `: ${result.row_count.toLocaleString()} rows` : ""}${result.truncated ? " (truncated)" : ""}.`,
        );
      } catch (e) {
        setStatus(null);
        setError((e as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [artifact.currentParams, dispatch],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per template id
  useEffect(() => {
    let cancelled = false;
    setTemplate(null);
    setError(null);
    api.getTemplate(id).then(
      (t) => {
        if (cancelled) return;
        show(t);
        // A template saved without stored data gets fresh data straight away.
        if (!t.data_url) void refresh(t);
      },
      (e: Error) => !cancelled && setError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, [id]);

  /** Regenerates the component for the data already there (POST /api/generate-ui); nothing is re-queried. */
  const refine = async (prompt: string) => {
    const resultId = artifact.dataUrl?.split("?")[0]?.split("/").filter(Boolean).pop();
    if (!template || !resultId || refining.isActive()) return;
    setError(null);
    setStatus(null);
    dispatch({ type: "start" });
    const result = await refining.stream(
      {
        url: "/api/generate-ui",
        body: {
          prompt,
          result_id: resultId,
          current_code: artifact.generatedCode,
          // The shape of a params event: the runner keeps these values unless the prompt changes them.
          params: { values: artifact.currentParams, controls: artifact.controls },
        },
      },
      {
        onEvent: (event) => {
          // The data stays the template's: only code, parameters and errors apply.
          if (event.kind === "error") setError(event.data.message);
          if (event.kind === "invalid") setError(event.message);
          if (
            event.kind === "code" ||
            event.kind === "params" ||
            event.kind === "done" ||
            event.kind === "error"
          ) {
            dispatch({ type: "event", event });
          }
        },
      },
    );
    if (result.outcome === "failed") setError(result.message);
    else if (result.outcome === "complete") setStatus("Refined. Save to keep the new component.");
    dispatch({ type: "finish" });
  };

  const saveParams = async () => {
    if (!template) return;
    setBusy(true);
    try {
      const codeChanged = artifact.generatedCode !== template.ui_code;
      const updated = await api.updateTemplate(template.id, {
        version: template.version,
        parameters: { values: artifact.currentParams, controls: artifact.controls },
        ...(codeChanged ? { ui_code: artifact.generatedCode } : {}),
      });
      setTemplate(updated);
      setStatus(codeChanged ? "Component and parameters saved." : "Parameters saved.");
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  /** Curators publish, archive and feature templates. */
  const curate = async (change: { status?: Template["status"]; featured?: boolean }) => {
    if (!template) return;
    try {
      setTemplate(await api.updateTemplate(template.id, { version: template.version, ...change }));
      setStatus(
        change.status ? `Status: ${change.status}.` : change.featured ? "Featured." : "No longer featured.",
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const exportJson = async () => {
    if (!template) return;
    try {
      downloadBlob(await api.exportTemplates([template.id]), `${slugify(template.title, "template")}.json`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const remove = async () => {
    if (!template || !window.confirm(`Delete “${template.title}”?`)) return;
    try {
      await api.deleteTemplate(template.id);
      navigate({ name: "templates" });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="flex h-full min-h-0 flex-col gap-3 p-4" data-testid="template-view">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="flex items-start gap-2">
          <Button
            variant="ghost"
            size="icon"
            aria-label="Back to templates"
            onClick={() => navigate({ name: "templates" })}
          >
            <ArrowLeft />
          </Button>
          <div>
            <h1 className="flex items-center gap-2 text-lg font-semibold" data-testid="template-heading">
              {template?.title ?? "Template"}
              {template && !template.can_edit ? (
                <Badge variant="outline" data-testid="read-only-badge">
                  <Lock className="mr-1 h-3 w-3" /> Read-only
                </Badge>
              ) : null}
              {template?.featured ? <Badge variant="secondary">Featured</Badge> : null}
            </h1>
            {template?.description ? (
              <p className="text-sm text-muted-foreground">{template.description}</p>
            ) : null}
            {template ? (
              <p className="text-xs text-muted-foreground">
                {[
                  template.owner && `by ${template.owner}`,
                  template.version && `v${template.version}`,
                  template.status,
                ]
                  .filter(Boolean)
                  .join(" · ")}
              </p>
            ) : null}
          </div>
        </div>
        {template ? (
          <div className="flex flex-wrap gap-2">
            <Button
              variant="outline"
              size="sm"
              onClick={() => refresh(template)}
              disabled={busy}
              data-testid="refresh-data"
            >
              <RefreshCw /> Refresh data
            </Button>
            <Button variant="outline" size="sm" onClick={exportJson} data-testid="export-template">
              <Download /> Export JSON
            </Button>
            <VersionsDialog template={template} canRestore={template.can_edit} onRestored={show} />
            {template.can_curate ? (
              <>
                <Select
                  value={template.status}
                  onValueChange={(v) => void curate({ status: v as Template["status"] })}
                >
                  <SelectTrigger className="h-8 w-32" aria-label="Status" data-testid="template-status">
                    <SelectValue />
                  </SelectTrigger>
                  <SelectContent>
                    {(["draft", "published", "archived"] as const).map((v) => (
                      <SelectItem key={v} value={v}>
                        {v}
                      </SelectItem>
                    ))}
                  </SelectContent>
                </Select>
                <Button
                  variant="outline"
                  size="sm"
                  onClick={() => void curate({ featured: !template.featured })}
                  data-testid="template-feature"
                >
                  <Star className={template.featured ? "fill-yellow-400 text-yellow-500" : ""} />
                  {template.featured ? "Unfeature" : "Feature"}
                </Button>
              </>
            ) : null}
            {template.can_share ? (
              <ShareDialog
                template={template}
                onSaved={() => api.getTemplate(template.id).then(setTemplate, () => undefined)}
              />
            ) : null}
            {template.can_edit ? (
              <>
                <Button size="sm" onClick={saveParams} disabled={busy} data-testid="save-params">
                  <Save /> Save
                </Button>
                <Button variant="ghost" size="icon" aria-label="Delete template" onClick={remove}>
                  <Trash2 />
                </Button>
              </>
            ) : null}
          </div>
        ) : null}
      </div>
      {error ? (
        <p role="alert" className="text-sm text-destructive">
          {error}
        </p>
      ) : null}
      {status ? (
        <p role="status" className="text-sm text-muted-foreground">
          {status}
        </p>
      ) : null}
      {template?.can_edit && artifact.dataUrl ? (
        <div className="max-w-3xl" data-testid="refine-box">
          <PromptBox
            onSend={(p) => void refine(p)}
            onStop={refining.stop}
            isStreaming={artifact.isGenerating}
            placeholder="Refine this chart (same data), e.g. “show it as a pie chart”…"
          />
        </div>
      ) : null}
      <div className="min-h-0 flex-1">
        <ArtifactPanel
          artifact={artifact}
          onParamsChange={setParams}
          theme={theme}
          emptyHint={template ? "This template has no component yet." : "Loading…"}
          layout="side"
        />
      </div>
    </div>
  );
}

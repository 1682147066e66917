// The artifact: Preview (the sandbox) | Code | Data | SQL, parameter controls and exports.
import {
  AlertTriangle,
  BarChart3,
  Code2,
  Database,
  FileCode2,
  FileImage,
  Loader2,
  RotateCw,
  Table2,
} from "lucide-react";
import { type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { ParamsPanel } from "@/components/artifact/ParamsPanel";
import { DataDownloads, TruncationNotice } from "@/components/artifact/ResultNotice";
import { ResultTable } from "@/components/artifact/ResultTable";
import { type SandboxHandle, SandboxSlot } from "@/components/artifact/SandboxSlot";
import { CodeBlock } from "@/components/CodeBlock";
import { Button } from "@/components/ui/button";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import type { ArtifactState } from "@/hooks/useArtifact";
import type { QueryResult } from "@/lib/api-schemas";
import { type DataFormat, type LoadedData, loadData, tableOf } from "@/lib/data";
import { PARAMS_DEBOUNCE_MS, useDebouncedValue } from "@/lib/debounce";
import { downloadBlob, slugify } from "@/lib/download";
import type { ParamValues } from "@/lib/params";

export interface RenderFailure {
  phase: "compile" | "render" | "data" | "data_fetch";
  message: string;
}

interface Props {
  artifact: ArtifactState;
  onParamsChange: (values: ParamValues) => void;
  theme: "light" | "dark";
  actions?: ReactNode;
  onRenderError?: (failure: RenderFailure) => void;
  emptyHint?: ReactNode;
  /** "side" puts the parameters in a column beside the chart (wide template view). */
  layout?: "stacked" | "side";
}

/** The failed fetch in words: a dropped network says so, other failures keep the server's reason. */
function fetchFailure(error: Error): string {
  if (error instanceof TypeError || !navigator.onLine)
    return "The network connection was lost while the data was loading.";
  return error.message;
}

/** The artifact's data; a failed fetch can be retried, and is retried when the browser is back online. */
function useLoadedData(url: string | null, format: DataFormat) {
  const [state, setState] = useState<{ data: LoadedData | null; error: string | null }>({
    data: null,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` asks for the same data again
  useEffect(() => {
    if (!url) {
      setState({ data: null, error: null });
      return;
    }
    const abort = new AbortController();
    setState({ data: null, error: null });
    loadData(url, format, abort.signal).then(
      (data) => setState({ data, error: null }),
      (error: Error) => {
        if (!abort.signal.aborted) setState({ data: null, error: fetchFailure(error) });
      },
    );
    return () => abort.abort();
  }, [url, format, attempt]);
  const failed = state.error !== null;
  useEffect(() => {
    if (!failed) return;
    window.addEventListener("online", retry);
    return () => window.removeEventListener("online", retry);
  }, [failed, retry]);
  return { ...state, retry };
}

/** Rows for the Data tab; Parquet is decoded only when the tab is opened, from the bytes already here. */
function useTableData(loaded: LoadedData | null, wanted: boolean) {
  const [table, setTable] = useState<{ data: LoadedData; result: QueryResult } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!loaded || loaded.format === "json" || !wanted || table?.data === loaded) return;
    let cancelled = false;
    setError(null);
    tableOf(loaded).then(
      (result) => !cancelled && setTable({ data: loaded, result }),
      (e: Error) => !cancelled && setError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, [loaded, wanted, table?.data]);
  if (loaded?.format === "json") return { result: loaded.result, error: null };
  return { result: table && table.data === loaded ? table.result : null, error };
}

export function ArtifactPanel({
  artifact,
  onParamsChange,
  theme,
  actions,
  onRenderError,
  emptyHint,
  layout = "stacked",
}: Props) {
  const [tab, setTab] = useState("preview");
  const [failure, setFailure] = useState<RenderFailure | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const sandbox = useRef<SandboxHandle>(null);
  const codeView = useRef<HTMLDivElement>(null);
  const { isGenerating, generatedCode, currentParams, dataUrl, dataFormat } = artifact;
  const loaded = useLoadedData(dataUrl, dataFormat);
  const table = useTableData(loaded.data, tab === "data");
  const params = useDebouncedValue(currentParams, PARAMS_DEBOUNCE_MS);
  const title = typeof currentParams.title === "string" ? currentParams.title : "chart";
  const onErrorRef = useRef(onRenderError);
  onErrorRef.current = onRenderError;

  useEffect(() => {
    if (loaded.error) {
      setFailure({ phase: "data_fetch", message: loaded.error });
      onErrorRef.current?.({ phase: "data_fetch", message: loaded.error });
    } else {
      setFailure((prev) => (prev?.phase === "data_fetch" ? null : prev));
    }
  }, [loaded.error]);

  // Another artifact (a new run, another conversation, a new chat): the last one's errors go with it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: cleared when the artifact changes
  useEffect(() => {
    setFailure(null);
    setExportError(null);
  }, [artifact.runId, dataUrl]);

  // Follow the code as it streams in.
  useEffect(() => {
    const view = codeView.current;
    if (isGenerating && view && generatedCode) view.scrollTop = view.scrollHeight;
  }, [isGenerating, generatedCode]);

  const doExport = async (format: "png" | "svg") => {
    setExportError(null);
    try {
      const blob = await sandbox.current?.exportChart(format, currentParams);
      if (blob) downloadBlob(blob, `${slugify(title)}.${format}`);
    } catch (error) {
      setExportError((error as Error).message);
    }
  };

  const hasArtifact = Boolean(generatedCode || dataUrl);
  const renderCode = isGenerating ? "" : generatedCode;
  // Whether the frame shows a chart this panel sent: the frame says so (SandboxHost), since only it
  // knows when a clear or another page's artifact replaced the last one. Until then the sandbox's
  // own "waiting" line stays hidden under the "Generating…" overlay rather than showing through it.
  const [drawn, setDrawn] = useState(false);
  return (
    <div
      className={
        layout === "side"
          ? "grid h-full min-h-0 min-w-0 grid-cols-1 gap-4 lg:grid-cols-[minmax(0,1fr)_320px]"
          : "flex h-full min-h-0 flex-col gap-3"
      }
      data-testid="artifact-panel"
    >
      <Tabs value={tab} onValueChange={setTab} className="flex min-h-0 min-w-0 flex-1 flex-col">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <TabsList aria-label="Artifact views">
            <TabsTrigger value="preview" data-testid="tab-preview">
              <BarChart3 /> Preview
            </TabsTrigger>
            <TabsTrigger value="code" data-testid="tab-code">
              <Code2 /> Code
            </TabsTrigger>
            <TabsTrigger value="data" data-testid="tab-data">
              <Table2 /> Data
            </TabsTrigger>
            <TabsTrigger value="sql" data-testid="tab-sql">
              <Database /> SQL
            </TabsTrigger>
          </TabsList>
          <div className="flex flex-wrap items-center gap-2">
            {isGenerating ? (
              <span
                className="flex items-center gap-1 text-xs text-muted-foreground"
                data-testid="artifact-generating"
              >
                <Loader2 className="h-3 w-3 animate-spin" /> Generating…
              </span>
            ) : null}
            <Button
              variant="outline"
              size="sm"
              onClick={() => doExport("png")}
              disabled={!hasArtifact || isGenerating}
              data-testid="export-png"
            >
              <FileImage /> PNG
            </Button>
            <Button
              variant="outline"
              size="sm"
              onClick={() => doExport("svg")}
              disabled={!hasArtifact || isGenerating}
              data-testid="export-svg"
            >
              <FileCode2 /> SVG
            </Button>
            {isGenerating ? null : <DataDownloads dataUrl={dataUrl} title={title} />}
            {actions}
          </div>
        </div>
        <TruncationNotice extent={loaded.data} />
        {failure || exportError ? (
          <div
            role="alert"
            data-testid="render-error"
            className="mt-2 flex items-start gap-2 rounded-md border border-destructive/50 bg-destructive/10 p-2 text-sm text-destructive"
          >
            <AlertTriangle className="mt-0.5 h-4 w-4 shrink-0" />
            <div className="min-w-0 flex-1 whitespace-pre-wrap break-words">
              {failure?.phase === "data_fetch" ? (
                <>
                  <span className="font-semibold">The data could not be loaded.</span> {failure.message}{" "}
                  {navigator.onLine ? "" : "It loads again as soon as you are back online."}
                </>
              ) : failure ? (
                <>
                  <span className="font-semibold">The chart could not be drawn ({failure.phase}):</span>{" "}
                  {failure.message}
                </>
              ) : (
                exportError
              )}
            </div>
            {failure?.phase === "data_fetch" ? (
              <Button size="sm" variant="outline" onClick={loaded.retry} data-testid="retry-data">
                <RotateCw /> Retry
              </Button>
            ) : null}
          </div>
        ) : null}
        <TabsContent
          value="preview"
          forceMount
          className="relative min-h-[320px] flex-1 data-[state=inactive]:hidden"
        >
          {/* The portal's one sandbox frame is laid over this slot (SandboxHost). Until a chart has
              been drawn it stays hidden under the one overlay; data that failed to load leaves
              nothing to show but the error and its Retry. */}
          <SandboxSlot
            ref={sandbox}
            code={renderCode}
            params={params}
            data={loaded.data}
            theme={theme}
            shown={hasArtifact && !(isGenerating && !drawn) && !loaded.error}
            onDrawn={setDrawn}
            onRendered={() => setFailure(null)}
            onError={(phase, message) => {
              // One failure often reports twice (the blocked request, then the rejected promise): keep both.
              setFailure((prev) =>
                prev && prev.phase === phase && !prev.message.includes(message)
                  ? { phase, message: `${prev.message}\n${message}` }
                  : { phase, message },
              );
              onErrorRef.current?.({ phase, message });
            }}
          />
          {!hasArtifact ? (
            <div className="absolute inset-0 grid place-items-center rounded-md border border-dashed bg-background p-6 text-center text-sm text-muted-foreground">
              {emptyHint ?? "Ask a question to see a chart here."}
            </div>
          ) : isGenerating ? (
            <div
              data-testid="artifact-overlay"
              className={`pointer-events-none absolute inset-0 z-20 grid place-items-center rounded-md text-sm text-muted-foreground ${drawn ? "bg-background/60" : "bg-background"}`}
            >
              <span className="flex items-center gap-2">
                <Loader2 className="h-4 w-4 animate-spin" /> Generating…
              </span>
            </div>
          ) : null}
        </TabsContent>
        <TabsContent value="code" className="min-h-0 flex-1 overflow-auto" ref={codeView}>
          {generatedCode ? (
            <CodeBlock code={generatedCode} language="typescript" testId="artifact-code" label="code" />
          ) : (
            <p className="text-sm text-muted-foreground">No code yet.</p>
          )}
        </TabsContent>
        <TabsContent value="data" className="min-h-0 flex-1">
          {table.result ? (
            <ResultTable data={table.result} columns={loaded.data?.columns} />
          ) : (
            <p className="text-sm text-muted-foreground">
              {table.error ?? loaded.error ?? (dataUrl ? "Loading data…" : "No data yet.")}
            </p>
          )}
        </TabsContent>
        <TabsContent value="sql" className="min-h-0 flex-1 overflow-auto">
          {artifact.sql ? (
            <div className="flex flex-col gap-2">
              <span className="text-xs text-muted-foreground">Engine: {artifact.sql.engine}</span>
              <CodeBlock code={artifact.sql.sql} language="sql" testId="artifact-sql" label="SQL" />
            </div>
          ) : (
            <p className="text-sm text-muted-foreground">No SQL yet.</p>
          )}
        </TabsContent>
      </Tabs>
      <div
        className={
          layout === "side" ? "min-h-0 overflow-y-auto" : "max-h-[40%] shrink-0 overflow-y-auto pr-1"
        }
      >
        <ParamsPanel
          controls={artifact.controls}
          values={currentParams}
          disabled={isGenerating}
          onChange={onParamsChange}
          columns={layout === "side" ? 1 : 2}
        />
      </div>
    </div>
  );
}

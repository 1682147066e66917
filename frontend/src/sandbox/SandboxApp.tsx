// The sandbox page: receives code, data and params from the host window, renders the generated
// component behind an error boundary, and reports every outcome back.
import { Component, type ErrorInfo, type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { exportChart } from "@/sandbox/export";
import { endComponentTimers } from "@/sandbox/guard/globals";
import { installNavigationGuard } from "@/sandbox/guard/navigation";
import { REFUSED, SandboxRefusal } from "@/sandbox/guard/refusal";
import type { TabularData } from "@/sandbox/kit";
import {
  acceptMessage,
  type HostMessage,
  HostMessageSchema,
  isTabular,
  type SandboxMessage,
  sandboxMessage,
} from "@/sandbox/protocol";
import type { VizComponent } from "@/sandbox/runtime";

// The component runtime (React's sandbox wrapper, Recharts and the kit) is most of the bundle: it
// loads as a chunk of its own (the page preloads it), started now, while the frame already says
// `ready`, so the host's first message and the parsing of the runtime overlap. The TSX transform
// loads only for a component that is not precompiled (runtime.ts), the Parquet reader only when
// Parquet data arrives.
const runtime = import("@/sandbox/runtime");

async function readParquet(buffer: ArrayBuffer): Promise<TabularData> {
  const { decodeParquet } = await import("@/lib/parquet");
  const decoded = await decodeParquet(buffer);
  if (!isTabular(decoded)) throw new Error("The Parquet file is not a table of columns and rows.");
  return decoded;
}

type Phase = "compile" | "render" | "data";

function post(message: SandboxMessage, transfer: Transferable[] = []): void {
  // The host is the only window we talk to; our own origin is opaque, so "*" is the only target.
  window.parent.postMessage(message, "*", transfer);
}

function messageOf(error: unknown): string {
  if (error instanceof SandboxRefusal) return error.message;
  if (error instanceof Error) return `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`;
  return String(error);
}

class Boundary extends Component<
  { onError: (error: unknown) => void; children: ReactNode },
  { error: unknown; hasError: boolean }
> {
  override state = { error: null as unknown, hasError: false };

  static getDerivedStateFromError(error: unknown) {
    return { error, hasError: true };
  }

  override componentDidCatch(error: unknown, _info: ErrorInfo) {
    this.props.onError(error);
  }

  override render() {
    if (this.state.hasError) return <ErrorView phase="render" message={messageOf(this.state.error)} />;
    return this.props.children;
  }
}

function ErrorView({ phase, message }: { phase: Phase; message: string }) {
  const title = {
    compile: "The component did not compile",
    render: "The component failed",
    data: "The data could not be read",
  }[phase];
  return (
    <div className="vz-error" role="alert" data-testid="sandbox-error">
      <strong>{title}</strong>
      {message}
    </div>
  );
}

/** Resolves once `ready()` holds (checked every 20 ms), or after 4 s. */
function mounted(ready: () => boolean): Promise<void> {
  const started = performance.now();
  return new Promise((resolve) => {
    const check = () => {
      if (ready() || performance.now() - started > 4000) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
}

function Rendered({ onRendered }: { onRendered: () => void }) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: report once per mount
  useEffect(onRendered, []);
  return null;
}

interface Current {
  renderId: number;
  Viz: VizComponent | null;
  data: TabularData | null;
  params: Record<string, unknown>;
  error: { phase: Phase; message: string } | null;
  mountKey: number;
}

export function SandboxApp() {
  const [current, setCurrent] = useState<Current | null>(null);
  const renderIdRef = useRef(0);
  const codeCache = useRef<{ code: string; Viz: VizComponent } | null>(null);
  const mounts = useRef(0);
  const stageRef = useRef<HTMLDivElement>(null);
  const titleRef = useRef("");
  // The render whose component has mounted: an export waits for the newest one to.
  const mountedIdRef = useRef(-1);

  // The render a defence acted on: that component is refused for good (its view is replaced by
  // the reason, and it never reports `rendered`), so the portal keeps showing why.
  const refusedRef = useRef<number | null>(null);
  // The shown component's failure: a params message that follows it reports it again under its
  // own id, since the host listens to the newest id only.
  const failureRef = useRef<{ phase: Phase; message: string } | null>(null);
  // A render still loading its data or the runtime: a params message meanwhile updates it (it
  // must not be dropped as stale), a newer render or a clear replaces it.
  const pendingRef = useRef<{ token: number; renderId: number; params: Record<string, unknown> } | null>(
    null,
  );

  const reportError = useCallback((phase: Phase, message: string) => {
    failureRef.current = { phase, message };
    post(sandboxMessage({ type: "error", renderId: renderIdRef.current, phase, message }));
  }, []);

  const failClosed = useCallback(
    (message: string) => {
      refusedRef.current = renderIdRef.current;
      setCurrent((prev) =>
        prev && !prev.error ? { ...prev, Viz: null, error: { phase: "render", message } } : prev,
      );
      reportError("render", message);
    },
    [reportError],
  );

  const handle = useCallback(
    async (message: HostMessage) => {
      switch (message.type) {
        case "theme":
          document.documentElement.classList.toggle("dark", message.theme === "dark");
          return;
        case "clear":
          renderIdRef.current = message.renderId;
          pendingRef.current = null;
          failureRef.current = null;
          endComponentTimers();
          codeCache.current = null;
          setCurrent(null);
          return;
        case "params": {
          const previous = renderIdRef.current;
          renderIdRef.current = message.renderId;
          titleRef.current = String(message.params.title ?? "");
          if (pendingRef.current) {
            pendingRef.current = {
              ...pendingRef.current,
              renderId: message.renderId,
              params: message.params,
            };
            return;
          }
          const failure = failureRef.current;
          if (failure) {
            if (refusedRef.current === previous) refusedRef.current = message.renderId;
            reportError(failure.phase, failure.message);
          }
          setCurrent((prev) =>
            prev
              ? { ...prev, renderId: message.renderId, params: message.params, mountKey: ++mounts.current }
              : prev,
          );
          return;
        }
        case "export": {
          const root = stageRef.current;
          try {
            if (!root) throw new Error("Nothing is rendered.");
            await mounted(() => mountedIdRef.current === renderIdRef.current);
            const blob = await exportChart(root, message.format, titleRef.current);
            post(
              sandboxMessage({
                type: "exported",
                requestId: message.requestId,
                format: message.format,
                blob,
              }),
            );
          } catch (error) {
            post(
              sandboxMessage({
                type: "exported",
                requestId: message.requestId,
                format: message.format,
                blob: null,
                message: messageOf(error),
              }),
            );
          }
          return;
        }
        case "render": {
          renderIdRef.current = message.renderId;
          // The frame is reused for every artifact: the previous component's timers die with it, so
          // nothing of it runs (or reports) while the next one renders.
          endComponentTimers();
          failureRef.current = null;
          titleRef.current = String(message.params.title ?? "");
          document.documentElement.classList.toggle("dark", message.theme === "dark");
          mounts.current += 1;
          const token = mounts.current;
          pendingRef.current = { token, renderId: message.renderId, params: message.params };
          // The render as it stands once loaded (params may have moved on meanwhile), or null when a
          // newer render or a clear replaced it.
          const settle = () => {
            const latest = pendingRef.current;
            if (!latest || latest.token !== token) return null;
            pendingRef.current = null;
            return { renderId: latest.renderId, params: latest.params, mountKey: token };
          };
          let data: TabularData;
          try {
            data =
              message.data.format === "json" ? message.data.result : await readParquet(message.data.buffer);
            if (message.columns) data = { ...data, fields: message.columns };
          } catch (error) {
            const base = settle();
            if (!base) return;
            const text = messageOf(error);
            setCurrent({ ...base, Viz: null, data: null, error: { phase: "data", message: text } });
            reportError("data", text);
            return;
          }
          const { CompileError, compileViz, prepareCompile } = await runtime;
          try {
            await prepareCompile(message.code);
          } catch {
            // The transform's chunk did not load: compileViz says so below.
          }
          const base = settle();
          if (!base) return;
          try {
            const cached = codeCache.current;
            const Viz = cached && cached.code === message.code ? cached.Viz : compileViz(message.code);
            codeCache.current = { code: message.code, Viz };
            setCurrent({ ...base, Viz, data, error: null });
          } catch (error) {
            const text = error instanceof CompileError ? error.message : messageOf(error);
            setCurrent({ ...base, Viz: null, data, error: { phase: "compile", message: text } });
            reportError("compile", text);
          }
          return;
        }
      }
    },
    [reportError],
  );

  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      const message = acceptMessage(event, window.parent, HostMessageSchema);
      if (message) void handle(message);
    };
    // Errors outside React's render (effects' promises, timers, blocked requests) are failures too.
    // Reported to the host, so they count as handled here.
    const onError = (event: ErrorEvent) => {
      event.preventDefault();
      if (event.error instanceof SandboxRefusal) failClosed(event.error.message);
      else reportError("render", event.message || "Script error");
    };
    const onRejection = (event: PromiseRejectionEvent) => {
      event.preventDefault();
      if (event.reason instanceof SandboxRefusal) failClosed(event.reason.message);
      else reportError("render", messageOf(event.reason));
    };
    const onViolation = (event: SecurityPolicyViolationEvent) =>
      failClosed(
        `${REFUSED}: the frame's policy blocked a request (${event.effectiveDirective} ${event.blockedURI || ""})`,
      );
    const removeGuard = installNavigationGuard((reason) => failClosed(`${REFUSED}: ${reason}`));
    window.addEventListener("message", onMessage);
    window.addEventListener("error", onError);
    window.addEventListener("unhandledrejection", onRejection);
    document.addEventListener("securitypolicyviolation", onViolation);
    post(sandboxMessage({ type: "ready" }));
    return () => {
      removeGuard();
      window.removeEventListener("message", onMessage);
      window.removeEventListener("error", onError);
      window.removeEventListener("unhandledrejection", onRejection);
      document.removeEventListener("securitypolicyviolation", onViolation);
    };
  }, [handle, reportError, failClosed]);

  if (!current) return <div className="vz-status">Waiting for a component…</div>;
  const { Viz, data, params, error, renderId, mountKey } = current;
  return (
    <div className="vz-stage" ref={stageRef} data-testid="sandbox-stage">
      {error ? <ErrorView phase={error.phase} message={error.message} /> : null}
      {Viz && data && !error ? (
        <Boundary key={mountKey} onError={(e) => reportError("render", messageOf(e))}>
          <Viz data={data} params={params} />
          <Rendered
            onRendered={() => {
              mountedIdRef.current = renderId;
              if (refusedRef.current !== renderId) post(sandboxMessage({ type: "rendered", renderId }));
            }}
          />
        </Boundary>
      ) : null}
    </div>
  );
}

// Hosts the sandbox iframe (sandbox="allow-scripts", never allow-same-origin) and drives it over the
// typed postMessage protocol: full renders when code or data change, params-only messages otherwise.
// The frame is mounted with the page, before any artifact, and reused for every artifact after it:
// users pay the sandbox's start once, and each new artifact is one `render` message.
import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState } from "react";
import type { LoadedData } from "@/lib/data";
import type { ParamValues } from "@/lib/params";
import {
  acceptMessage,
  type HostMessage,
  hostMessage,
  type SandboxData,
  SandboxMessageSchema,
} from "@/sandbox/protocol";

export interface SandboxHandle {
  /** The chart as a file; `latest` params not sent yet (a change still in its debounce) go first. */
  exportChart(format: "png" | "svg", latest?: ParamValues): Promise<Blob>;
}

interface Props {
  sandboxUrl: string;
  code: string;
  params: ParamValues;
  data: LoadedData | null;
  theme: "light" | "dark";
  onError: (phase: "compile" | "render" | "data", message: string) => void;
  onRendered: () => void;
  /** The frame's test id (a second, hidden frame must not be mistaken for the chart's). */
  testId?: string;
}

function toSandboxData(data: LoadedData): { data: SandboxData; transfer: Transferable[] } {
  if (data.format === "json") return { data: { format: "json", result: data.result }, transfer: [] };
  // Transfer a copy: the host keeps its bytes for the next render.
  const buffer = data.buffer.slice(0);
  return { data: { format: "parquet", buffer }, transfer: [buffer] };
}

export const SandboxFrame = forwardRef<SandboxHandle, Props>(function SandboxFrame(
  { sandboxUrl, code, params, data, theme, onError, onRendered, testId = "sandbox-frame" },
  ref,
) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [ready, setReady] = useState(false);
  // A sandbox can navigate itself (no sandbox flag forbids that). A second `load` means the component
  // did: the frame is replaced and that code is not sent again.
  const [frameKey, setFrameKey] = useState(0);
  const loads = useRef(0);
  const blockedCode = useRef<string | null>(null);
  const renderId = useRef(0);
  const sent = useRef<{ code: string; data: LoadedData; params: ParamValues } | null>(null);
  const exports = useRef(new Map<number, { resolve: (b: Blob) => void; reject: (e: Error) => void }>());
  const exportCounter = useRef(0);
  const callbacks = useRef({ onError, onRendered });
  callbacks.current = { onError, onRendered };

  const postToSandbox = useCallback((message: HostMessage, transfer: Transferable[] = []) => {
    // The sandbox's origin is opaque, so it cannot be named as a target origin.
    frame.current?.contentWindow?.postMessage(message, "*", transfer);
  }, []);

  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      const message = acceptMessage(event, frame.current?.contentWindow, SandboxMessageSchema);
      if (!message) return;
      switch (message.type) {
        case "ready":
          sent.current = null;
          setReady(true);
          break;
        case "rendered":
          if (message.renderId === renderId.current) callbacks.current.onRendered();
          break;
        case "error":
          if (message.renderId === renderId.current)
            callbacks.current.onError(message.phase, message.message);
          break;
        case "exported": {
          const pending = exports.current.get(message.requestId);
          exports.current.delete(message.requestId);
          if (!pending) break;
          if (message.blob) pending.resolve(message.blob);
          else pending.reject(new Error(message.message ?? "Export failed."));
          break;
        }
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, []);

  // A theme change alone is sent by the next effect; it must not re-render the component.
  // biome-ignore lint/correctness/useExhaustiveDependencies: theme is read only for full renders
  useEffect(() => {
    if (ready && !code && !data && sent.current) {
      // No artifact any more (a new conversation): the previous one must not stay behind.
      renderId.current += 1;
      postToSandbox(hostMessage({ type: "clear", renderId: renderId.current }));
      sent.current = null;
      return;
    }
    if (!ready || !code || !data || code === blockedCode.current) return;
    const last = sent.current;
    if (last && last.code === code && last.data === data) {
      if (last.params === params) return;
      renderId.current += 1;
      postToSandbox(hostMessage({ type: "params", renderId: renderId.current, params }));
    } else {
      renderId.current += 1;
      const payload = toSandboxData(data);
      postToSandbox(
        hostMessage({
          type: "render",
          renderId: renderId.current,
          code,
          params,
          data: payload.data,
          columns: data.columns,
          theme,
        }),
        payload.transfer,
      );
    }
    sent.current = { code, data, params };
  }, [ready, code, data, params, postToSandbox]);

  useEffect(() => {
    if (ready) postToSandbox(hostMessage({ type: "theme", theme }));
  }, [ready, theme, postToSandbox]);

  // A frame that failed to load (the network dropped) shows the browser's error page, never "ready":
  // it stays hidden, and loads again once the browser is back online.
  useEffect(() => {
    if (ready) return;
    const reload = () => {
      loads.current = 0;
      sent.current = null;
      setFrameKey((k) => k + 1);
    };
    window.addEventListener("online", reload);
    return () => window.removeEventListener("online", reload);
  }, [ready]);

  useImperativeHandle(
    ref,
    () => ({
      exportChart(format, latest) {
        const last = sent.current;
        if (latest && last && last.params !== latest) {
          renderId.current += 1;
          postToSandbox(hostMessage({ type: "params", renderId: renderId.current, params: latest }));
          sent.current = { ...last, params: latest };
        }
        exportCounter.current += 1;
        const id = exportCounter.current;
        return new Promise<Blob>((resolve, reject) => {
          exports.current.set(id, { resolve, reject });
          postToSandbox(hostMessage({ type: "export", requestId: id, format }));
          setTimeout(() => {
            if (exports.current.delete(id)) reject(new Error("The sandbox did not answer."));
          }, 10_000);
        });
      },
    }),
    [postToSandbox],
  );

  return (
    <iframe
      key={frameKey}
      ref={frame}
      onLoad={() => {
        loads.current += 1;
        if (loads.current < 2) return;
        blockedCode.current = sent.current?.code ?? code;
        loads.current = 0;
        sent.current = null;
        setReady(false);
        setFrameKey((k) => k + 1);
        callbacks.current.onError(
          "render",
          "The component tried to navigate the sandbox away; it was stopped.",
        );
      }}
      title="Chart preview"
      data-testid={testId}
      src={sandboxUrl}
      sandbox="allow-scripts"
      referrerPolicy="no-referrer"
      className={`h-full w-full rounded-md border bg-background ${ready ? "" : "invisible"}`}
    />
  );
});

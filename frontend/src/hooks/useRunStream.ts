// The one consumer of run streams in the portal: starts a run (POST /api/chat, /api/generate-ui, a
// repair) or reattaches to one (GET /api/runs/{id}/events), resumes after a drop with Last-Event-ID
// and drops duplicates (lib/sse's streamRun), and stops it (cancel on the server, then abort).
import { useCallback, useEffect, useRef, useState } from "react";
import { api, getCsrfToken } from "@/lib/api";
import type { StreamEvent } from "@/lib/events";
import { HttpError, type StreamSource, streamRun } from "@/lib/sse";

export interface RunStreamHandlers {
  onEvent: (event: StreamEvent) => void;
  /** The connection dropped and the stream is being resumed. */
  onReconnect?: () => void;
}

/** How a stream ended: "failed" carries the reason in words (an HTTP error or a lost connection). */
export type RunStreamResult =
  | { outcome: "complete" | "ended" | "aborted" }
  | { outcome: "failed"; message: string; status: number | null }
  | { outcome: "busy" }
  /** The page left the run (another conversation, a new chat): nothing of it applies any more. */
  | { outcome: "detached" };

export function useRunStream() {
  const controller = useRef<AbortController | null>(null);
  const runId = useRef<string | null>(null);
  const detached = useRef(new WeakSet<AbortController>());
  const [isStreaming, setStreaming] = useState(false);

  const stream = useCallback(
    async (source: StreamSource, handlers: RunStreamHandlers): Promise<RunStreamResult> => {
      if (controller.current) return { outcome: "busy" };
      const abort = new AbortController();
      controller.current = abort;
      runId.current = "runId" in source ? source.runId : null;
      setStreaming(true);
      try {
        const outcome = await streamRun({
          ...source,
          csrfToken: getCsrfToken(),
          signal: abort.signal,
          onEvent: (event) => {
            if (event.kind === "run") runId.current = event.data.run_id;
            handlers.onEvent(event);
          },
          onReconnect: () => handlers.onReconnect?.(),
        });
        if (detached.current.has(abort)) return { outcome: "detached" };
        return { outcome };
      } catch (error) {
        if (detached.current.has(abort)) return { outcome: "detached" };
        if (error instanceof HttpError)
          return { outcome: "failed", message: error.message, status: error.status };
        return {
          outcome: "failed",
          message: `The connection was lost: ${(error as Error).message}`,
          status: null,
        };
      } finally {
        if (controller.current === abort) {
          controller.current = null;
          setStreaming(false);
        }
      }
    },
    [],
  );

  /** Stops the run on the server (when its id is known) and closes the stream. */
  const stop = useCallback(() => {
    const abort = controller.current;
    if (!abort) return;
    if (runId.current) void api.cancelRun(runId.current).catch(() => undefined);
    abort.abort();
  }, []);

  /** Closes the stream and leaves the run going (it outlives its streams; reattach later). */
  const detach = useCallback(() => {
    const abort = controller.current;
    if (!abort) return;
    detached.current.add(abort);
    controller.current = null;
    setStreaming(false);
    abort.abort();
  }, []);

  const isActive = useCallback(() => controller.current !== null, []);

  useEffect(() => () => controller.current?.abort(), []);

  return { stream, stop, detach, isActive, isStreaming };
}

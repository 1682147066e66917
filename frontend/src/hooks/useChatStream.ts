// Runs of a conversation: sends prompts to /api/chat, streams their events into per-run state and
// into the artifact, cancels on Stop, and reports sandbox failures for the agent's one repair.
import { type Dispatch, useCallback, useEffect, useRef, useState } from "react";
import type { ArtifactAction } from "@/hooks/useArtifact";
import { api, getCsrfToken } from "@/lib/api";
import type { Conversation } from "@/lib/api-schemas";
import { parseStreamEvent, type StreamEvent } from "@/lib/events";
import { HttpError, readSse, streamRun } from "@/lib/sse";
import { splitParameters } from "@/lib/templates";

export type RunStatus = "streaming" | "complete" | "error" | "cancelled";

export interface RunState {
  key: string;
  prompt: string;
  runId: string | null;
  status: RunStatus;
  thoughts: string;
  sql: { engine: string; sql: string } | null;
  codeChars: number;
  progress: { stage: string; done: number; total: number } | null;
  error: { message: string; stage: string; code?: string | null | undefined } | null;
  /** The model asked which reading is meant; each option is a question to send next. */
  clarify: { question: string; options: string[] } | null;
  hasData: boolean;
  hasParams: boolean;
  /** Set while the client resumes a dropped stream. */
  reconnecting: boolean;
}

/**
 * Appends a thought. Token streams carry their own spacing; whole sentences sent as separate events
 * ("...request." + "Measuring...") get a space between them.
 */
export function joinThought(previous: string, next: string): string {
  if (previous && /[.!?:…]$/.test(previous) && /^[A-Z"'(]/.test(next)) return `${previous} ${next}`;
  return previous + next;
}

export function applyRunEvent(run: RunState, event: StreamEvent): RunState {
  switch (event.kind) {
    case "run":
      return { ...run, runId: event.data.run_id };
    case "thought":
      return { ...run, thoughts: joinThought(run.thoughts, event.data.content) };
    case "sql":
      return { ...run, sql: { engine: event.data.engine, sql: event.data.sql } };
    case "code":
      return { ...run, codeChars: run.codeChars + event.data.content.length };
    case "progress":
      return {
        ...run,
        progress: { stage: event.data.stage, done: event.data.done, total: event.data.total },
      };
    case "data":
      return { ...run, hasData: true };
    case "params":
      return { ...run, hasParams: true };
    case "error":
      return {
        ...run,
        status: "error",
        error: { message: event.data.message, stage: event.data.stage, code: event.data.code },
      };
    case "clarify":
      return { ...run, clarify: { question: event.data.question, options: event.data.options ?? [] } };
    case "done":
      return run.status === "streaming" ? { ...run, status: "complete" } : run;
    case "invalid":
      return { ...run, error: { message: event.message, stage: "stream" } };
  }
}

function newRun(prompt: string): RunState {
  return {
    key: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
    prompt,
    runId: null,
    status: "streaming",
    thoughts: "",
    sql: null,
    codeChars: 0,
    progress: null,
    error: null,
    clarify: null,
    hasData: false,
    hasParams: false,
    reconnecting: false,
  };
}

const STATUS: Record<string, RunStatus> = {
  running: "streaming",
  pending: "streaming",
  complete: "complete",
  completed: "complete",
  succeeded: "complete",
  failed: "error",
  error: "error",
  cancelled: "cancelled",
  canceled: "cancelled",
};

/** Rebuilds the runs of a stored conversation, and the artifact from its latest component. */
export function runsFromConversation(
  conversation: Conversation,
  artifact: Dispatch<ArtifactAction>,
): RunState[] {
  const runs = conversation.runs.map(
    (stored): RunState => ({
      ...newRun(stored.prompt),
      key: stored.id,
      runId: stored.id,
      status: STATUS[stored.status] ?? (stored.error ? "error" : "complete"),
      sql: stored.generated_sql ? { engine: stored.engine, sql: stored.generated_sql } : null,
      codeChars: stored.ui_code.length,
      error: stored.error ? { message: stored.error.message, stage: stored.error.stage } : null,
      hasData: Boolean(stored.data_url),
      hasParams: Boolean(stored.parameters),
    }),
  );
  const latest = [...conversation.runs].reverse().find((r) => r.ui_code);
  if (latest) {
    const { values, controls } = splitParameters(latest.parameters);
    artifact({
      type: "load",
      artifact: {
        runId: latest.id,
        generatedCode: latest.ui_code,
        currentParams: values,
        controls,
        dataUrl: latest.data_url,
        dataFormat: "auto",
        sql: latest.generated_sql ? { engine: latest.engine, sql: latest.generated_sql } : null,
      },
    });
  } else {
    artifact({ type: "load", artifact: {} });
  }
  return runs;
}

export interface ChatOptions {
  artifact: Dispatch<ArtifactAction>;
  engine?: string;
  templateId?: string;
  onConversation?: (id: string) => void;
}

export function useChatStream({ artifact, engine, templateId, onConversation }: ChatOptions) {
  const [runs, setRuns] = useState<RunState[]>([]);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [isStreaming, setStreaming] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const activeKey = useRef<string | null>(null);
  const activeRunId = useRef<string | null>(null);
  const reported = useRef(new Set<string>());
  const onConversationRef = useRef(onConversation);
  onConversationRef.current = onConversation;

  const update = useCallback((key: string, fn: (run: RunState) => RunState) => {
    setRuns((prev) => prev.map((r) => (r.key === key ? fn(r) : r)));
  }, []);

  const handleEvent = useCallback(
    (key: string, event: StreamEvent) => {
      if (event.kind === "run") {
        activeRunId.current = event.data.run_id;
        setConversationId(event.data.conversation_id);
        onConversationRef.current?.(event.data.conversation_id);
      }
      update(key, (run) => applyRunEvent({ ...run, reconnecting: false }, event));
      artifact({ type: "event", event });
    },
    [artifact, update],
  );

  const send = useCallback(
    async (prompt: string) => {
      const text = prompt.trim();
      if (!text || controller.current) return;
      const run = newRun(text);
      const abort = new AbortController();
      controller.current = abort;
      activeKey.current = run.key;
      activeRunId.current = null;
      setRuns((prev) => [...prev, run]);
      setStreaming(true);
      artifact({ type: "start" });
      const body: Record<string, string> = { prompt: text };
      if (conversationId) body.conversation_id = conversationId;
      if (engine) body.engine = engine;
      if (templateId) body.template_id = templateId;
      try {
        const outcome = await streamRun({
          url: "/api/chat",
          body,
          csrfToken: getCsrfToken(),
          signal: abort.signal,
          onEvent: (event) => handleEvent(run.key, event),
          onReconnect: () => update(run.key, (r) => ({ ...r, reconnecting: true })),
        });
        if (outcome === "aborted")
          update(run.key, (r) => ({ ...r, reconnecting: false, status: "cancelled" }));
      } catch (error) {
        const message =
          error instanceof HttpError ? error.message : `The connection was lost: ${(error as Error).message}`;
        update(run.key, (r) => ({
          ...r,
          reconnecting: false,
          status: "error",
          error: { message, stage: "stream" },
        }));
      } finally {
        controller.current = null;
        activeKey.current = null;
        setStreaming(false);
        artifact({ type: "finish" });
      }
    },
    [artifact, conversationId, engine, handleEvent, templateId, update],
  );

  const stop = useCallback(() => {
    const abort = controller.current;
    if (!abort) return;
    const runId = activeRunId.current;
    if (runId) void api.cancelRun(runId).catch(() => undefined);
    abort.abort();
  }, []);

  /** Tells the agent the component failed in the sandbox; once per run, so it repairs at most once. */
  const reportRenderError = useCallback(
    async (runId: string, message: string) => {
      if (reported.current.has(runId) || controller.current) return;
      reported.current.add(runId);
      const abort = new AbortController();
      controller.current = abort;
      let response: Response;
      try {
        response = await api.sendFeedback(runId, message);
      } catch {
        controller.current = null;
        return;
      }
      const type = response.headers.get("Content-Type") ?? "";
      const body = response.body;
      if (!type.includes("text/event-stream") || !body) {
        controller.current = null;
        return;
      }
      // The repair streams like a run (Stop cancels it): new code replaces the broken component.
      const key = runs.find((r) => r.runId === runId)?.key;
      abort.signal.addEventListener("abort", () => void body.cancel().catch(() => undefined));
      setStreaming(true);
      artifact({ type: "start" });
      try {
        await readSse(body, (raw) => {
          const event = parseStreamEvent(raw);
          if (!event) return;
          if (event.kind === "run") activeRunId.current = event.data.run_id;
          if (key) update(key, (run) => applyRunEvent(run, event));
          artifact({ type: "event", event });
        });
      } catch {
        // Cancelled or dropped: the broken component stays, with its error shown.
      } finally {
        controller.current = null;
        setStreaming(false);
        artifact({ type: "finish" });
      }
    },
    [artifact, runs, update],
  );

  const loadConversation = useCallback(
    (conversation: Conversation) => {
      setConversationId(conversation.id);
      setRuns(runsFromConversation(conversation, artifact));
    },
    [artifact],
  );

  const reset = useCallback(() => {
    controller.current?.abort();
    setRuns([]);
    setConversationId(null);
    artifact({ type: "load", artifact: {} });
  }, [artifact]);

  useEffect(() => () => controller.current?.abort(), []);

  return { runs, conversationId, isStreaming, send, stop, reportRenderError, loadConversation, reset };
}

// Runs of a conversation: sends prompts to /api/chat, streams their events (through useRunStream)
// into per-run state and into the artifact, follows a run still going after a reload, cancels on
// Stop, and reports sandbox failures for the agent's one repair.
import { type Dispatch, useCallback, useRef, useState } from "react";
import type { ArtifactAction } from "@/hooks/useArtifact";
import { useRunStream } from "@/hooks/useRunStream";
import type { Conversation } from "@/lib/api-schemas";
import type { StreamEvent } from "@/lib/events";
import type { StreamSource } from "@/lib/sse";
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
  /** While the run waits for a free slot: how many runs are ahead of it (0: it is next). */
  waiting: number | null;
  error: {
    message: string;
    stage: string;
    code?: string | null | undefined;
    /** With a decline: questions to ask instead, offered as buttons. */
    suggestions?: string[] | undefined;
  } | null;
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

/**
 * `thoughts` without a trailing echo of `said`: the model's prose streams as thoughts, and a refusal
 * or a question back repeats that prose as its message, which is shown once, on its own. Whitespace
 * is ignored in the comparison (thoughts are joined from chunks).
 */
export function withoutEcho(thoughts: string, said: string): string {
  let i = thoughts.length;
  let j = said.length;
  let matched = false;
  for (;;) {
    while (i > 0 && /\s/.test(thoughts[i - 1] ?? "")) i--;
    while (j > 0 && /\s/.test(said[j - 1] ?? "")) j--;
    if (j === 0) break;
    if (i === 0 || thoughts[i - 1] !== said[j - 1]) return thoughts;
    i--;
    j--;
    matched = true;
  }
  return matched ? thoughts.slice(0, i).trimEnd() : thoughts;
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
    case "progress": {
      const position = event.data.position;
      // A place in the line is not a step's progress: shown as "waiting, n ahead", gone once it starts.
      if (position !== null && position !== undefined)
        return { ...run, waiting: position > 0 ? position - 1 : null };
      return {
        ...run,
        waiting: null,
        progress: { stage: event.data.stage, done: event.data.done, total: event.data.total },
      };
    }
    case "data":
      return { ...run, hasData: true };
    case "params":
      return { ...run, hasParams: true };
    case "error":
      return {
        ...run,
        status: "error",
        thoughts: withoutEcho(run.thoughts, event.data.message),
        error: {
          message: event.data.message,
          stage: event.data.stage,
          code: event.data.code,
          suggestions: event.data.suggestions ?? undefined,
        },
      };
    case "clarify":
      return {
        ...run,
        thoughts: withoutEcho(run.thoughts, event.data.question),
        clarify: { question: event.data.question, options: event.data.options ?? [] },
      };
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
    waiting: null,
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
  const runStream = useRunStream();
  const { stream, isActive, detach, stop } = runStream;
  const reported = useRef(new Set<string>());
  const onConversationRef = useRef(onConversation);
  onConversationRef.current = onConversation;

  const update = useCallback((key: string, fn: (run: RunState) => RunState) => {
    setRuns((prev) => prev.map((r) => (r.key === key ? fn(r) : r)));
  }, []);

  /** Streams into the run `key` and the artifact; every stream of the workspace goes through here. */
  const follow = useCallback(
    async (key: string, source: StreamSource, opts: { names?: boolean } = {}) => {
      artifact({ type: "start" });
      const result = await stream(source, {
        onEvent: (event) => {
          if (event.kind === "run" && opts.names) {
            // The URL names the conversation as soon as the run exists, so a reload finds it.
            setConversationId(event.data.conversation_id);
            onConversationRef.current?.(event.data.conversation_id);
          }
          update(key, (run) => applyRunEvent({ ...run, reconnecting: false }, event));
          artifact({ type: "event", event });
        },
        onReconnect: () => update(key, (r) => ({ ...r, reconnecting: true })),
      });
      if (result.outcome === "detached" || result.outcome === "busy") return result;
      if (result.outcome === "aborted")
        update(key, (r) => ({
          ...r,
          reconnecting: false,
          status: r.status === "streaming" ? "cancelled" : r.status,
        }));
      if (result.outcome === "failed")
        update(key, (r) => ({
          ...r,
          reconnecting: false,
          status: "error",
          error: { message: result.message, stage: "stream" },
        }));
      artifact({ type: "finish" });
      return result;
    },
    [artifact, stream, update],
  );

  const send = useCallback(
    async (prompt: string) => {
      const text = prompt.trim();
      if (!text || isActive()) return;
      const run = newRun(text);
      setRuns((prev) => [...prev, run]);
      const body: Record<string, string> = { prompt: text };
      if (conversationId) body.conversation_id = conversationId;
      if (engine) body.engine = engine;
      if (templateId) body.template_id = templateId;
      await follow(run.key, { url: "/api/chat", body }, { names: true });
    },
    [conversationId, engine, follow, isActive, templateId],
  );

  /** Tells the agent the component failed in the sandbox; once per run, so it repairs at most once. */
  const reportRenderError = useCallback(
    async (runId: string, message: string) => {
      if (reported.current.has(runId) || isActive()) return;
      reported.current.add(runId);
      // The repair streams like a run (Stop cancels it): new code replaces the broken component.
      const key = runs.find((r) => r.runId === runId)?.key;
      if (!key) return;
      const before = runs.find((r) => r.key === key);
      const result = await follow(key, {
        url: `/api/runs/${encodeURIComponent(runId)}/feedback`,
        body: { render_error: message },
      });
      // A refused repair (409) is not the run's failure: the broken component stays, with its error.
      if (result.outcome === "failed" && before) update(key, () => before);
    },
    [follow, isActive, runs, update],
  );

  const loadConversation = useCallback(
    (conversation: Conversation) => {
      detach();
      setConversationId(conversation.id);
      const loaded = runsFromConversation(conversation, artifact);
      setRuns(loaded);
      // A run still going (the page was reloaded while it ran): replay its log and follow it live.
      const last = loaded[loaded.length - 1];
      if (last?.status === "streaming" && last.runId) {
        const fresh = { ...newRun(last.prompt), key: last.key, runId: last.runId };
        setRuns([...loaded.slice(0, -1), fresh]);
        void follow(fresh.key, { runId: last.runId });
      }
    },
    [artifact, detach, follow],
  );

  const reset = useCallback(() => {
    detach();
    setRuns([]);
    setConversationId(null);
    artifact({ type: "load", artifact: {} });
  }, [artifact, detach]);

  return {
    runs,
    conversationId,
    isStreaming: runStream.isStreaming,
    send,
    stop,
    reportRenderError,
    loadConversation,
    reset,
  };
}

// SSE client over fetch + ReadableStream (POST bodies and the CSRF header rule out EventSource).
// On a network drop it reconnects to /api/runs/{id}/events with Last-Event-ID and drops any event
// whose id it has already delivered, so the UI never sees a duplicate.
import { createParser } from "eventsource-parser";
import { parseStreamEvent, type StreamEvent } from "@/lib/events";

/** Feeds a byte stream through the SSE parser; chunk boundaries may fall anywhere, even inside a UTF-8 character. */
export async function readSse(
  stream: ReadableStream<Uint8Array>,
  onMessage: (message: { event?: string | undefined; data: string; id?: string | undefined }) => void,
): Promise<void> {
  const parser = createParser({
    onEvent: (event) => onMessage({ event: event.event, data: event.data, id: event.id }),
  });
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    const tail = decoder.decode();
    if (tail) parser.feed(tail);
  } finally {
    reader.releaseLock();
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Where a stream comes from: a POST that starts a run, or an existing run's event log. */
export type StreamSource =
  | { url: string; body: unknown }
  | { runId: string; lastEventId?: string | undefined };

export type StreamOptions = StreamSource & {
  csrfToken: string;
  onEvent: (event: StreamEvent) => void;
  signal: AbortSignal;
  fetchImpl?: typeof fetch;
  /** How often to try resuming after a drop before giving up. */
  maxReconnects?: number;
  reconnectDelayMs?: number;
  /** Called before each attempt to resume a dropped stream (attempt counts from 1). */
  onReconnect?: (attempt: number) => void;
};

export type StreamOutcome = "complete" | "ended" | "aborted";

/**
 * The reasons of a 422 body's `detail` (Pydantic's errors: `loc` and `msg`) in words, e.g.
 * "prompt: String should have at most 4000 characters"; null when there is none.
 */
export function validationReasons(detail: unknown): string | null {
  if (!Array.isArray(detail)) return null;
  const reasons = detail.flatMap((item: unknown) => {
    if (!item || typeof item !== "object") return [];
    const { loc, msg } = item as { loc?: unknown; msg?: unknown };
    if (typeof msg !== "string") return [];
    // loc is ["body", "payload", "prompt"]: the last element names the field.
    const field = Array.isArray(loc) ? loc.filter((p) => typeof p === "string").pop() : undefined;
    return [field && field !== "payload" && field !== "body" ? `${field}: ${msg}` : msg];
  });
  return reasons.length ? reasons.join("; ") : null;
}

/** The API's `{code, message, detail?}` error body as an HttpError (status text when it is not JSON). */
export async function errorFrom(response: Response): Promise<HttpError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `Request failed (${response.status})`;
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object") {
      const b = body as Record<string, unknown>;
      if (typeof b.code === "string") code = b.code;
      if (typeof b.message === "string") message = b.message;
      // A generic "The request is not valid." says nothing; the server's reasons do.
      const reasons = validationReasons(b.detail);
      if (reasons) message = `${message.replace(/\.$/, "")}: ${reasons}.`;
    }
  } catch {
    // Not JSON: keep the status text.
  }
  return new HttpError(response.status, code, message);
}

/** Resolves when the browser is online (at once if it is, or if it cannot tell) or the signal fires. */
function online(signal: AbortSignal): Promise<void> {
  if (typeof navigator === "undefined" || navigator.onLine !== false) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.removeEventListener("online", done);
      resolve();
    };
    window.addEventListener("online", done);
    signal.addEventListener("abort", done);
  });
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Streams a run and delivers validated events until `done`: POSTs to a streaming endpoint, or (given
 * a run id) reads the run's log from after `lastEventId`. Resolves "complete" after `done`, "ended"
 * when the server closed the stream after an error, "aborted" when the signal fired. Rejects with
 * HttpError for an error response, or with the network error when resuming failed.
 */
export async function streamRun(options: StreamOptions): Promise<StreamOutcome> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const maxReconnects = options.maxReconnects ?? 5;
  const delay = options.reconnectDelayMs ?? 500;
  const seen = new Set<string>();
  let runId: string | undefined = "runId" in options ? options.runId : undefined;
  let lastId: string | undefined = "runId" in options ? options.lastEventId : undefined;
  let finished = false;
  let failed = false;

  const deliver = (message: { event?: string | undefined; data: string; id?: string | undefined }) => {
    if (message.id) {
      if (seen.has(message.id)) return;
      seen.add(message.id);
      lastId = message.id;
    }
    const event = parseStreamEvent(message);
    if (!event) return;
    if (event.kind === "run") runId = event.data.run_id;
    if (event.kind === "done") finished = true;
    if (event.kind === "error") failed = true;
    options.onEvent(event);
  };

  const consume = async (response: Response) => {
    if (!response.ok) throw await errorFrom(response);
    if (!response.body) throw new HttpError(response.status, "empty_body", "The server sent no stream.");
    await readSse(response.body, deliver);
  };

  const resume = (id: string, from: string | undefined) => () =>
    fetchImpl(`/api/runs/${encodeURIComponent(id)}/events`, {
      method: "GET",
      headers: { Accept: "text/event-stream", ...(from ? { "Last-Event-ID": from } : {}) },
      credentials: "same-origin",
      signal: options.signal,
    });

  let attempt = 0;
  let request: () => Promise<Response> =
    "url" in options
      ? () =>
          fetchImpl(options.url, {
            method: "POST",
            headers: {
              "Content-Type": "application/json",
              Accept: "text/event-stream",
              "X-CSRFToken": options.csrfToken,
            },
            body: JSON.stringify(options.body),
            credentials: "same-origin",
            signal: options.signal,
          })
      : resume(options.runId, options.lastEventId);

  for (;;) {
    try {
      await consume(await request());
      if (finished) return "complete";
      if (failed) return "ended";
      // Closed without `done`: treat it like a drop and resume.
      if (options.signal.aborted) return "aborted";
      throw new TypeError("The stream closed before the run finished.");
    } catch (error) {
      if (options.signal.aborted) return "aborted";
      if (error instanceof HttpError) throw error;
      if (!runId || attempt >= maxReconnects) throw error;
      options.onReconnect?.(attempt + 1);
      // Offline, no attempt is spent: the stream resumes once the network is back.
      await online(options.signal);
      attempt += 1;
      await wait(delay * attempt, options.signal);
      if (options.signal.aborted) return "aborted";
      request = resume(runId, lastId);
    }
  }
}

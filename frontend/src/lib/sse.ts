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

export interface StreamOptions {
  url: string;
  body: unknown;
  csrfToken: string;
  onEvent: (event: StreamEvent) => void;
  signal: AbortSignal;
  fetchImpl?: typeof fetch;
  /** How often to try resuming after a drop before giving up. */
  maxReconnects?: number;
  reconnectDelayMs?: number;
  /** Called before each attempt to resume a dropped stream (attempt counts from 1). */
  onReconnect?: (attempt: number) => void;
}

export type StreamOutcome = "complete" | "ended" | "aborted";

/** The API's `{code, message}` error body as an HttpError (status text when the body is not JSON). */
export async function errorFrom(response: Response): Promise<HttpError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `Request failed (${response.status})`;
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object") {
      const b = body as Record<string, unknown>;
      if (typeof b.code === "string") code = b.code;
      if (typeof b.message === "string") message = b.message;
    }
  } catch {
    // Not JSON: keep the status text.
  }
  return new HttpError(response.status, code, message);
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
 * POSTs to a streaming endpoint and delivers validated events until `done`. Resolves "complete" after
 * `done`, "ended" when the server closed the stream after an error, "aborted" when the signal fired.
 * Rejects with HttpError for an error response, or with the network error when resuming failed.
 */
export async function streamRun(options: StreamOptions): Promise<StreamOutcome> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const maxReconnects = options.maxReconnects ?? 5;
  const delay = options.reconnectDelayMs ?? 500;
  const seen = new Set<string>();
  let runId: string | undefined;
  let lastId: string | undefined;
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

  let attempt = 0;
  let request: () => Promise<Response> = () =>
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
    });

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
      attempt += 1;
      options.onReconnect?.(attempt);
      await wait(delay * attempt, options.signal);
      if (options.signal.aborted) return "aborted";
      const resumeUrl = `/api/runs/${encodeURIComponent(runId)}/events`;
      const resumeFrom = lastId;
      request = () =>
        fetchImpl(resumeUrl, {
          method: "GET",
          headers: { Accept: "text/event-stream", ...(resumeFrom ? { "Last-Event-ID": resumeFrom } : {}) },
          credentials: "same-origin",
          signal: options.signal,
        });
    }
  }
}

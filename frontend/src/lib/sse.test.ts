import { describe, expect, it } from "vitest";
import type { StreamEvent } from "@/lib/events";
import { errorFrom, HttpError, readSse, streamRun, validationReasons } from "@/lib/sse";

const encoder = new TextEncoder();

function streamOf(chunks: Uint8Array[], opts: { failAfter?: boolean } = {}): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) {
        controller.enqueue(chunks[i++] as Uint8Array);
      } else if (opts.failAfter) {
        controller.error(new TypeError("network error"));
      } else {
        controller.close();
      }
    },
  });
}

function bytewise(text: string): Uint8Array[] {
  return Array.from(encoder.encode(text), (b) => new Uint8Array([b]));
}

function sse(id: string, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

describe("readSse", () => {
  it("reassembles events split at every byte, including inside multi-byte characters", async () => {
    const text = `${sse("r1:1", "thought", { type: "thinking", content: "Régions → ventes 📊" })}: heartbeat\n\n${sse("r1:2", "done", { type: "complete", code_complete: true, data_ready: true })}`;
    const messages: { event?: string; data: string; id?: string }[] = [];
    await readSse(streamOf(bytewise(text)), (m) => messages.push(m));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatchObject({ id: "r1:1", event: "thought" });
    expect(JSON.parse(messages[0]?.data ?? "")).toEqual({ type: "thinking", content: "Régions → ventes 📊" });
    expect(messages[1]?.event).toBe("done");
  });

  it("handles CRLF line endings and data split over several lines", async () => {
    const text = 'id: a:1\r\nevent: code\r\ndata: {"type":"code_chunk",\r\ndata: "content":"x"}\r\n\r\n';
    const messages: { data: string }[] = [];
    await readSse(streamOf([encoder.encode(text.slice(0, 17)), encoder.encode(text.slice(17))]), (m) =>
      messages.push(m),
    );
    expect(messages.map((m) => m.data)).toEqual(['{"type":"code_chunk",\n"content":"x"}']);
  });
});

describe("streamRun", () => {
  const runEvent = sse("run-1:0", "run", { type: "run", run_id: "run-1", conversation_id: "c-1" });
  const thought1 = sse("run-1:1", "thought", { type: "thinking", content: "one " });
  const thought2 = sse("run-1:2", "thought", { type: "thinking", content: "two" });
  const done = sse("run-1:3", "done", { type: "complete", code_complete: true, data_ready: true });

  it("reconnects with Last-Event-ID after a drop and delivers no duplicate", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (calls.length === 1) {
        // The first connection dies after two events.
        return new Response(streamOf([encoder.encode(runEvent + thought1)], { failAfter: true }), {
          status: 200,
        });
      }
      // The server replays from the last id it was told... and one event the client already has.
      return new Response(streamOf([encoder.encode(thought1 + thought2 + done)]), { status: 200 });
    }) as typeof fetch;
    const events: StreamEvent[] = [];
    const reconnects: number[] = [];
    const outcome = await streamRun({
      url: "/api/chat",
      body: { prompt: "hi" },
      csrfToken: "tok",
      onEvent: (e) => events.push(e),
      signal: new AbortController().signal,
      fetchImpl,
      reconnectDelayMs: 1,
      onReconnect: (attempt) => reconnects.push(attempt),
    });
    expect(outcome).toBe("complete");
    expect(reconnects).toEqual([1]);
    expect(events.map((e) => e.id)).toEqual(["run-1:0", "run-1:1", "run-1:2", "run-1:3"]);
    expect(calls[0]?.init.method).toBe("POST");
    expect(new Headers(calls[0]?.init.headers).get("X-CSRFToken")).toBe("tok");
    expect(calls[1]?.url).toBe("/api/runs/run-1/events");
    expect(new Headers(calls[1]?.init.headers).get("Last-Event-ID")).toBe("run-1:1");
  });

  it("raises the server's {code, message} for an error response", async () => {
    const fetchImpl = (async () =>
      new Response(JSON.stringify({ code: "forbidden", message: "Viewers cannot ask" }), {
        status: 403,
        headers: { "Content-Type": "application/json" },
      })) as unknown as typeof fetch;
    const run = streamRun({
      url: "/api/chat",
      body: {},
      csrfToken: "t",
      onEvent: () => undefined,
      signal: new AbortController().signal,
      fetchImpl,
    });
    await expect(run).rejects.toBeInstanceOf(HttpError);
    await expect(run).rejects.toMatchObject({
      status: 403,
      code: "forbidden",
      message: "Viewers cannot ask",
    });
  });

  it("does not reconnect when the drop happens before the run is known", async () => {
    let calls = 0;
    const fetchImpl = (async () => {
      calls += 1;
      return new Response(streamOf([], { failAfter: true }), { status: 200 });
    }) as unknown as typeof fetch;
    await expect(
      streamRun({
        url: "/api/chat",
        body: {},
        csrfToken: "t",
        onEvent: () => undefined,
        signal: new AbortController().signal,
        fetchImpl,
        reconnectDelayMs: 1,
      }),
    ).rejects.toThrow("network error");
    expect(calls).toBe(1);
  });

  it("ends without reconnecting when the server closes after an error event", async () => {
    let calls = 0;
    const error = sse("run-1:1", "error", { type: "error", message: "boom", stage: "sql_execution" });
    const fetchImpl = (async () => {
      calls += 1;
      return new Response(streamOf([encoder.encode(runEvent + error)]), { status: 200 });
    }) as unknown as typeof fetch;
    const events: StreamEvent[] = [];
    const outcome = await streamRun({
      url: "/api/chat",
      body: {},
      csrfToken: "t",
      onEvent: (e) => events.push(e),
      signal: new AbortController().signal,
      fetchImpl,
    });
    expect(outcome).toBe("ended");
    expect(calls).toBe(1);
    expect(events.at(-1)).toMatchObject({ kind: "error", data: { stage: "sql_execution" } });
  });

  it("stops when aborted", async () => {
    const abort = new AbortController();
    const fetchImpl = (async (_url: string, init: RequestInit) =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(runEvent));
            init.signal?.addEventListener("abort", () =>
              controller.error(new DOMException("aborted", "AbortError")),
            );
          },
        }),
        { status: 200 },
      )) as unknown as typeof fetch;
    const events: StreamEvent[] = [];
    const run = streamRun({
      url: "/api/chat",
      body: {},
      csrfToken: "t",
      onEvent: (e) => {
        events.push(e);
        abort.abort();
      },
      signal: abort.signal,
      fetchImpl,
    });
    await expect(run).resolves.toBe("aborted");
    expect(events).toHaveLength(1);
  });

  it("reattaches to a run by id: reads its log from the start, resumes a drop from the last id", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (calls.length === 1)
        return new Response(streamOf([encoder.encode(runEvent + thought1)], { failAfter: true }), {
          status: 200,
        });
      return new Response(streamOf([encoder.encode(thought1 + thought2 + done)]), { status: 200 });
    }) as typeof fetch;
    const events: StreamEvent[] = [];
    const outcome = await streamRun({
      runId: "run-1",
      csrfToken: "t",
      onEvent: (e) => events.push(e),
      signal: new AbortController().signal,
      fetchImpl,
      reconnectDelayMs: 1,
    });
    expect(outcome).toBe("complete");
    expect(events.map((e) => e.id)).toEqual(["run-1:0", "run-1:1", "run-1:2", "run-1:3"]);
    expect(calls.map((c) => [c.url, c.init.method])).toEqual([
      ["/api/runs/run-1/events", "GET"],
      ["/api/runs/run-1/events", "GET"],
    ]);
    expect(new Headers(calls[0]?.init.headers).get("Last-Event-ID")).toBeNull();
    expect(new Headers(calls[1]?.init.headers).get("Last-Event-ID")).toBe("run-1:1");
  });
});

describe("errorFrom", () => {
  it("says why a request is not valid, from the server's detail", async () => {
    const body = {
      code: "invalid_request",
      message: "The request is not valid.",
      detail: [
        {
          type: "string_too_long",
          loc: ["body", "payload", "prompt"],
          msg: "String should have at most 4000 characters",
        },
      ],
    };
    const error = await errorFrom(new Response(JSON.stringify(body), { status: 422 }));
    expect(error).toMatchObject({ status: 422, code: "invalid_request" });
    expect(error.message).toBe(
      "The request is not valid: prompt: String should have at most 4000 characters.",
    );
    expect(validationReasons("not a list")).toBeNull();
  });
});

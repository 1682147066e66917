import { describe, expect, it } from "vitest";
import {
  acceptMessage,
  CHANNEL,
  HostMessageSchema,
  hostMessage,
  SandboxMessageSchema,
  sandboxMessage,
} from "@/sandbox/protocol";

const frame = {} as MessageEventSource;
const stranger = {} as MessageEventSource;

function event(data: unknown, source: MessageEventSource | null): MessageEvent {
  return new MessageEvent("message", { data, source });
}

const render = hostMessage({
  type: "render",
  renderId: 1,
  code: "export default function Viz() { return null }",
  params: { title: "T", chart_type: "bar", color_scheme: "default" },
  data: { format: "json", result: { columns: ["a"], rows: [[1]] } },
  theme: "dark",
});

describe("sandbox protocol", () => {
  it("accepts a valid message from the expected window", () => {
    expect(acceptMessage(event(render, frame), frame, HostMessageSchema)).toEqual(render);
  });

  it("carries the columns' descriptions with a render, and refuses malformed ones", () => {
    const columns = [
      {
        name: "a",
        type: "number",
        arrow_type: "double",
        format: "percent",
        grain: null,
        currency: null,
        label: null,
      },
    ];
    const described = { ...render, columns };
    expect(acceptMessage(event(described, frame), frame, HostMessageSchema)).toEqual(described);
    for (const column of [
      { name: "a", type: "number", format: "fancy" },
      { name: "a", type: "number", format: ["percent"] },
      { name: "a", type: "number", format: "date", grain: "fortnight" },
      { name: "a", type: "vector", format: "number" },
      { name: 1, type: "number", format: "number" },
      { name: "a", type: "number", format: "currency", currency: 978 },
    ]) {
      const wrong = { ...render, columns: [column] };
      expect(acceptMessage(event(wrong, frame), frame, HostMessageSchema)).toBeNull();
    }
    // The server may leave out what has a default (docs/sse.md, "Result columns").
    const short = { ...render, columns: [{ name: "a", type: "date", format: "date" }] };
    expect(acceptMessage(event(short, frame), frame, HostMessageSchema)).toEqual(short);
  });

  it("ignores messages from any other window, or when there is no window", () => {
    expect(acceptMessage(event(render, stranger), frame, HostMessageSchema)).toBeNull();
    expect(acceptMessage(event(render, null), frame, HostMessageSchema)).toBeNull();
    expect(acceptMessage(event(render, frame), null, HostMessageSchema)).toBeNull();
  });

  it("rejects other channels and malformed payloads", () => {
    expect(acceptMessage(event({ ...render, channel: "other" }, frame), frame, HostMessageSchema)).toBeNull();
    expect(acceptMessage(event({ ...render, type: "eval" }, frame), frame, HostMessageSchema)).toBeNull();
    expect(acceptMessage(event({ ...render, code: 42 }, frame), frame, HostMessageSchema)).toBeNull();
    const badData = { ...render, data: { format: "json", result: { columns: "a", rows: [] } } };
    expect(acceptMessage(event(badData, frame), frame, HostMessageSchema)).toBeNull();
    expect(acceptMessage(event("ready", frame), frame, SandboxMessageSchema)).toBeNull();
    const notRows = { ...render, data: { format: "json", result: { columns: ["a"], rows: [1, 2] } } };
    expect(acceptMessage(event(notRows, frame), frame, HostMessageSchema)).toBeNull();
  });

  it("checks a large result's shape without walking its rows", () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [i, i * 2]);
    let reads = 0;
    const counted = new Proxy(rows, {
      get(target, key, receiver) {
        if (typeof key === "string" && /^\d+$/.test(key)) reads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    const big = { ...render, data: { format: "json", result: { columns: ["a", "b"], rows: counted } } };
    const accepted = acceptMessage(event(big, frame), frame, HostMessageSchema);
    expect(accepted?.type).toBe("render");
    expect(reads).toBeLessThanOrEqual(2);
  });

  it("carries Parquet as an ArrayBuffer and exports as a Blob", () => {
    const parquet = hostMessage({
      type: "render",
      renderId: 2,
      code: "x",
      params: {},
      data: { format: "parquet", buffer: new ArrayBuffer(8) },
      theme: "light",
    });
    expect(acceptMessage(event(parquet, frame), frame, HostMessageSchema)).not.toBeNull();
    const notBuffer = { ...parquet, data: { format: "parquet", buffer: [1, 2, 3] } };
    expect(acceptMessage(event(notBuffer, frame), frame, HostMessageSchema)).toBeNull();
    const exported = sandboxMessage({
      type: "exported",
      requestId: 1,
      format: "svg",
      blob: new Blob(["<svg/>"]),
    });
    expect(acceptMessage(event(exported, frame), frame, SandboxMessageSchema)).toMatchObject({
      type: "exported",
    });
  });

  it("stamps every message with the channel", () => {
    expect(sandboxMessage({ type: "ready" })).toEqual({ channel: CHANNEL, type: "ready" });
    expect(hostMessage({ type: "theme", theme: "dark" }).channel).toBe(CHANNEL);
  });
});

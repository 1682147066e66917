import { describe, expect, it } from "vitest";
import { parseStreamEvent } from "@/lib/events";

describe("parseStreamEvent", () => {
  it("types a valid event by its SSE event name", () => {
    const event = parseStreamEvent({
      event: "data",
      id: "r:4",
      data: JSON.stringify({ type: "data_ready", url: "/api/data/abc", size: "small", format: "json" }),
    });
    // A server before row_count and truncated were sent: the defaults say "not cut".
    expect(event).toEqual({
      kind: "data",
      id: "r:4",
      data: {
        type: "data_ready",
        url: "/api/data/abc",
        size: "small",
        format: "json",
        row_count: null,
        truncated: false,
      },
    });
  });

  it("keeps extra parameter values and the control schema", () => {
    const event = parseStreamEvent({
      event: "params",
      data: JSON.stringify({
        type: "parameters",
        values: { title: "Sales", chart_type: "bar", color_scheme: "blues", top_n: 5 },
        controls: [{ name: "top_n", kind: "slider", label: "Top N", min: 1, max: 20 }],
      }),
    });
    expect(event?.kind).toBe("params");
    if (event?.kind !== "params") throw new Error("unreachable");
    expect(event.data.values.top_n).toBe(5);
    expect(event.data.controls?.[0]).toMatchObject({ name: "top_n", kind: "slider", max: 20, options: null });
  });

  it.each([
    ["thought", "{not json", "not valid JSON"],
    ["thought", JSON.stringify({ type: "thinking" }), "at content"],
    ["data", JSON.stringify({ type: "data_ready", url: "/x", size: "huge", format: "json" }), "at size"],
    ["error", JSON.stringify({ type: "error", message: "x", stage: "somewhere" }), "at stage"],
    ["code", JSON.stringify({ type: "thinking", content: "x" }), "at type"],
    ["progress", JSON.stringify({ type: "progress", stage: "s", done: 1.5, total: 3 }), "at done"],
    ["params", JSON.stringify({ type: "parameters", controls: [] }), "at values"],
    ["thought", JSON.stringify({ type: "thinking", content: "x", extra: 1 }), "Unrecognized key"],
    ["run", JSON.stringify(["run-1"]), "malformed"],
  ])("rejects a malformed %s event", (name, data, fragment) => {
    const event = parseStreamEvent({ event: name, data, id: "r:1" });
    expect(event?.kind).toBe("invalid");
    if (event?.kind !== "invalid") throw new Error("unreachable");
    expect(event.message).toContain(fragment);
    expect(event.event).toBe(name);
  });

  it("ignores event types it does not know, as SSE allows", () => {
    expect(parseStreamEvent({ event: "telemetry", data: "{}" })).toBeNull();
    expect(parseStreamEvent({ data: "{}" })).toBeNull();
  });
});

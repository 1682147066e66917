import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type HostMessage, hostMessage, type SandboxMessage } from "@/sandbox/protocol";
import { SandboxApp } from "@/sandbox/SandboxApp";

// In jsdom the page is its own parent: the app posts to window.parent (this window) and accepts
// messages whose source is window.parent.
let posted: SandboxMessage[] = [];

// The app loads its runtime (and the TSX transform) as chunks of their own; have them loaded
// before the first render message.
beforeAll(async () => {
  await (await import("@/sandbox/runtime")).loadTransform();
});

beforeEach(() => {
  posted = [];
  vi.spyOn(window, "postMessage").mockImplementation((message: unknown) => {
    posted.push(message as SandboxMessage);
  });
});
afterEach(() => cleanup());

async function send(
  message: HostMessage | Record<string, unknown>,
  source: MessageEventSource | null = window,
) {
  await act(async () => {
    window.dispatchEvent(new MessageEvent("message", { data: message, source }));
    await new Promise((r) => setTimeout(r, 0));
  });
}

const data = {
  format: "json" as const,
  result: {
    columns: ["region", "sales"],
    rows: [
      ["EU", 1],
      ["US", 2],
    ],
  },
};
const VIZ = `import React from "react";
import { rowsToObjects, formatNumber } from "@vizorch/kit";
export default function Viz({ data, params }) {
  const rows = rowsToObjects(data);
  return <p>{params.title}: {rows.map((r) => r.region + "=" + formatNumber(r.sales)).join(", ")}</p>;
}`;

describe("SandboxApp", () => {
  it("announces itself, renders a component with data and params, and re-renders on params alone", async () => {
    render(<SandboxApp />);
    expect(posted).toContainEqual(expect.objectContaining({ type: "ready" }));
    await send(
      hostMessage({
        type: "render",
        renderId: 1,
        code: VIZ,
        params: { title: "Sales" },
        data,
        theme: "light",
      }),
    );
    expect(screen.getByText("Sales: EU=1, US=2")).toBeTruthy();
    expect(posted).toContainEqual(expect.objectContaining({ type: "rendered", renderId: 1 }));
    await send(hostMessage({ type: "params", renderId: 2, params: { title: "Renamed" } }));
    expect(screen.getByText("Renamed: EU=1, US=2")).toBeTruthy();
    expect(posted).toContainEqual(expect.objectContaining({ type: "rendered", renderId: 2 }));
  });

  it("keeps a render whose params change while it loads, and reports it under the newest id", async () => {
    render(<SandboxApp />);
    // Both messages arrive before the render has awaited its data and runtime.
    await act(async () => {
      for (const message of [
        hostMessage({
          type: "render",
          renderId: 1,
          code: VIZ,
          params: { title: "Sales" },
          data,
          theme: "light",
        }),
        hostMessage({ type: "params", renderId: 2, params: { title: "Renamed" } }),
      ]) {
        window.dispatchEvent(new MessageEvent("message", { data: message, source: window }));
      }
      await new Promise((r) => setTimeout(r, 0));
    });
    expect(screen.getByText("Renamed: EU=1, US=2")).toBeTruthy();
    expect(posted).toContainEqual(expect.objectContaining({ type: "rendered", renderId: 2 }));
  });

  it("reports a failed component again when params follow it", async () => {
    render(<SandboxApp />);
    await send(
      hostMessage({
        type: "render",
        renderId: 1,
        code: "export default function (",
        params: {},
        data,
        theme: "light",
      }),
    );
    await send(hostMessage({ type: "params", renderId: 2, params: { title: "Renamed" } }));
    expect(posted).toContainEqual(expect.objectContaining({ type: "error", renderId: 2, phase: "compile" }));
  });

  it("reports compile errors, render errors and unknown imports", async () => {
    render(<SandboxApp />);
    await send(
      hostMessage({
        type: "render",
        renderId: 1,
        code: "export default function (",
        params: {},
        data,
        theme: "light",
      }),
    );
    expect(posted).toContainEqual(expect.objectContaining({ type: "error", renderId: 1, phase: "compile" }));
    const throwing = "export default function Viz() { throw new Error('kaboom'); }";
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    await send(
      hostMessage({ type: "render", renderId: 2, code: throwing, params: {}, data, theme: "light" }),
    );
    expect(posted).toContainEqual(
      expect.objectContaining({ type: "error", renderId: 2, phase: "render", message: "kaboom" }),
    );
    expect(screen.getByTestId("sandbox-error").textContent).toContain("kaboom");
    // (An unused import is dropped by the TypeScript transform, so this one is used.)
    const importing = 'import fs from "fs";\nexport default function Viz() { return <p>{String(fs)}</p>; }';
    await send(
      hostMessage({ type: "render", renderId: 3, code: importing, params: {}, data, theme: "light" }),
    );
    expect(posted).toContainEqual(
      expect.objectContaining({
        type: "error",
        renderId: 3,
        phase: "compile",
        message: expect.stringContaining("fs"),
      }),
    );
  });

  it("ignores messages from other windows and malformed messages", async () => {
    render(<SandboxApp />);
    const other = { postMessage: () => undefined } as unknown as MessageEventSource;
    await send(
      hostMessage({ type: "render", renderId: 1, code: VIZ, params: { title: "X" }, data, theme: "light" }),
      other,
    );
    await send({ channel: "vizorch-sandbox/1", type: "render", renderId: 1, code: VIZ });
    expect(screen.queryByText(/X:/)).toBeNull();
    expect(screen.getByText("Waiting for a component…")).toBeTruthy();
    expect(posted.filter((m) => m.type !== "ready")).toEqual([]);
  });
});

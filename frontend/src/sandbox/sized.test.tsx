import { act, cleanup, render } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SizedChart } from "@/sandbox/kit";

// jsdom lays nothing out: the box's size is what the test says, and the ResizeObserver is one the
// test can fire (the browser fires it when the frame resizes).
let box = { width: 640, height: 320 };
let observed: (() => void) | null = null;

beforeEach(() => {
  box = { width: 640, height: 320 };
  vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(
    () => ({ ...box, x: 0, y: 0, top: 0, left: 0, right: box.width, bottom: box.height }) as DOMRect,
  );
  vi.stubGlobal(
    "ResizeObserver",
    class {
      constructor(callback: () => void) {
        observed = callback;
      }
      observe() {}
      disconnect() {
        observed = null;
      }
    },
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  observed = null;
});

function Chart({ width, height, sizes }: { width?: number; height?: number; sizes: unknown[] }) {
  sizes.push([width, height]);
  return <svg data-testid="chart" width={width} height={height} />;
}

describe("SizedChart", () => {
  it("renders the chart at its box's size from its first render, never at another size", () => {
    const sizes: unknown[] = [];
    const { getByTestId } = render(
      <SizedChart>
        <Chart sizes={sizes} />
      </SizedChart>,
    );
    expect(sizes).toEqual([[640, 320]]);
    expect(getByTestId("chart").getAttribute("width")).toBe("640");
  });

  it("follows its box when the frame resizes, and renders nothing in a box of no size", () => {
    const sizes: unknown[] = [];
    const { getByTestId, queryByTestId } = render(
      <SizedChart>
        <Chart sizes={sizes} />
      </SizedChart>,
    );
    box = { width: 390.4, height: 300 };
    act(() => observed?.());
    expect(getByTestId("chart").getAttribute("width")).toBe("390");
    expect(sizes.at(-1)).toEqual([390, 300]);
    box = { width: 0, height: 300 };
    act(() => observed?.());
    expect(queryByTestId("chart")).toBeNull();
  });
});

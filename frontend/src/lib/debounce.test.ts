import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { debounce, PARAMS_DEBOUNCE_MS, useDebouncedCallback, useDebouncedValue } from "@/lib/debounce";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("debounce", () => {
  it("calls once, 300 ms after the last call, with the last arguments", () => {
    const fn = vi.fn();
    const d = debounce(fn, PARAMS_DEBOUNCE_MS);
    d("a");
    vi.advanceTimersByTime(200);
    d("b");
    vi.advanceTimersByTime(299);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith("b");
  });

  it("can be cancelled and flushed", () => {
    const fn = vi.fn();
    const d = debounce(fn, 300);
    d(1);
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    d(2);
    d.flush();
    expect(fn).toHaveBeenCalledWith(2);
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe("useDebouncedValue", () => {
  it("follows the value only once it has been still for 300 ms", () => {
    const { result, rerender } = renderHook(({ v }) => useDebouncedValue(v), {
      initialProps: { v: { title: "A" } },
    });
    const first = result.current;
    rerender({ v: { title: "AB" } });
    act(() => void vi.advanceTimersByTime(150));
    rerender({ v: { title: "ABC" } });
    act(() => void vi.advanceTimersByTime(299));
    expect(result.current).toBe(first);
    act(() => void vi.advanceTimersByTime(1));
    expect(result.current).toEqual({ title: "ABC" });
  });
});

describe("useDebouncedCallback", () => {
  it("calls the latest callback and is cancelled on unmount", () => {
    const first = vi.fn();
    const second = vi.fn();
    const { result, rerender, unmount } = renderHook(({ fn }) => useDebouncedCallback(fn), {
      initialProps: { fn: first },
    });
    result.current("x");
    rerender({ fn: second });
    act(() => void vi.advanceTimersByTime(300));
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith("x");
    result.current("y");
    unmount();
    act(() => void vi.advanceTimersByTime(300));
    expect(second).toHaveBeenCalledTimes(1);
  });
});

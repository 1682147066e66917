// Debouncing for parameter changes: the component re-renders 300 ms after the last change.
import { useCallback, useEffect, useRef, useState } from "react";

export const PARAMS_DEBOUNCE_MS = 300;

export interface Debounced<A extends unknown[]> {
  (...args: A): void;
  cancel(): void;
  flush(): void;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, waitMs: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  const run = () => {
    timer = undefined;
    if (pending) {
      const args = pending;
      pending = undefined;
      fn(...args);
    }
  };
  const debounced = (...args: A) => {
    pending = args;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(run, waitMs);
  };
  debounced.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    pending = undefined;
  };
  debounced.flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    run();
  };
  return debounced;
}

/** A value that follows `value` once it has stopped changing for `waitMs`. */
export function useDebouncedValue<T>(value: T, waitMs: number = PARAMS_DEBOUNCE_MS): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), waitMs);
    return () => clearTimeout(timer);
  }, [value, waitMs]);
  return debounced;
}

/** A stable debounced callback that always calls the latest `fn`, cancelled on unmount. */
export function useDebouncedCallback<A extends unknown[]>(
  fn: (...args: A) => void,
  waitMs: number = PARAMS_DEBOUNCE_MS,
): Debounced<A> {
  const latest = useRef(fn);
  latest.current = fn;
  const ref = useRef<Debounced<A> | null>(null);
  if (ref.current === null) ref.current = debounce((...args: A) => latest.current(...args), waitMs);
  useEffect(() => () => ref.current?.cancel(), []);
  const stable = useCallback((...args: A) => ref.current?.(...args), []);
  return Object.assign(stable, {
    cancel: () => ref.current?.cancel(),
    flush: () => ref.current?.flush(),
  });
}

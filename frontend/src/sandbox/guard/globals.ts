// The globals of a component's compartment beyond the JavaScript intrinsics SES gives every
// compartment (Object, Array, JSON, Promise, Map, ...): the clock, Math and Intl for formatting,
// timers that only take functions, a console, and for every browser capability a getter that
// refuses with the reason, so `location.href = ...` says why it did nothing.
import { refuse } from "@/sandbox/guard/refusal";

// What a hostile component reaches for first; none of it is given.
export const DENIED_GLOBALS = [
  "window",
  "self",
  "top",
  "parent",
  "frames",
  "opener",
  "frameElement",
  "document",
  "location",
  "history",
  "navigation",
  "navigator",
  "origin",
  "localStorage",
  "sessionStorage",
  "indexedDB",
  "caches",
  "cookieStore",
  "fetch",
  "XMLHttpRequest",
  "WebSocket",
  "WebTransport",
  "EventSource",
  "Worker",
  "SharedWorker",
  "BroadcastChannel",
  "MessageChannel",
  "postMessage",
  "open",
  "close",
  "stop",
  "alert",
  "confirm",
  "prompt",
  "print",
  "importScripts",
  "Image",
  "Audio",
  "Option",
  "Request",
  "Response",
  "Headers",
  "FormData",
  "URL",
  "Blob",
  "File",
  "FileReader",
  "crypto",
  "performance",
  "customElements",
  "getComputedStyle",
  "matchMedia",
  "ResizeObserver",
  "IntersectionObserver",
  "MutationObserver",
  "requestIdleCallback",
  "structuredClone",
  "Element",
  "HTMLElement",
  "Node",
  "Event",
  "MouseEvent",
  "CustomEvent",
  "EventTarget",
  "DOMParser",
  "Range",
  "Selection",
  "getSelection",
  "visualViewport",
  "screen",
  "external",
  "chrome",
  "webkitRequestFileSystem",
  "SharedArrayBuffer",
  "Atomics",
  "WebAssembly",
];

type Fn = (...args: unknown[]) => unknown;

// Every timer and animation frame components scheduled and that may still fire. The frame is
// reused for artifact after artifact: when the next one renders, the previous one's are cancelled
// (endComponentTimers), so none of its code runs again, sees what comes next or reports as it.
const pending = { timeouts: new Set<number>(), intervals: new Set<number>(), frames: new Set<number>() };

/** Cancels every timer, interval and animation frame a component scheduled and did not clear. */
export function endComponentTimers(): void {
  for (const id of pending.timeouts) window.clearTimeout(id);
  for (const id of pending.intervals) window.clearInterval(id);
  for (const id of pending.frames) window.cancelAnimationFrame(id);
  pending.timeouts.clear();
  pending.intervals.clear();
  pending.frames.clear();
}

function timer(name: string, repeat: boolean) {
  const ids = repeat ? pending.intervals : pending.timeouts;
  return (callback: unknown, ms?: unknown, ...args: unknown[]) => {
    // A string would be evaluated by the page's own (unconfined) evaluator.
    if (typeof callback !== "function")
      return refuse(`${name} needs a function; the sandbox never evaluates strings`);
    const run = () => {
      if (!repeat) ids.delete(id);
      (callback as Fn)(...args);
    };
    const id = repeat ? window.setInterval(run, Number(ms) || 0) : window.setTimeout(run, Number(ms) || 0);
    ids.add(id);
    return id;
  };
}

/** Property descriptors to define on a compartment's `globalThis`. */
export function sandboxGlobals(endowments: Record<string, unknown>): PropertyDescriptorMap {
  const descriptors: PropertyDescriptorMap = {};
  for (const name of DENIED_GLOBALS) {
    descriptors[name] = {
      get: () => refuse(`components cannot use \`${name}\``),
      set: () => refuse(`components cannot set \`${name}\``),
      configurable: false,
      enumerable: false,
    };
  }
  const given: Record<string, unknown> = {
    ...endowments,
    // The start compartment's Date and Math: SES's compartment versions have no clock and no
    // random numbers, which charts ("last 30 days", jitter) may use; neither is a way out.
    Date,
    Math,
    Intl,
    console: harden({
      log: console.log.bind(console),
      info: console.info.bind(console),
      warn: console.warn.bind(console),
      error: console.error.bind(console),
      debug: console.debug.bind(console),
    }),
    setTimeout: timer("setTimeout", false),
    setInterval: timer("setInterval", true),
    clearTimeout: (id: unknown) => {
      // Only a component's own timers: never one the sandbox page itself scheduled.
      if (pending.timeouts.delete(Number(id))) window.clearTimeout(Number(id));
    },
    clearInterval: (id: unknown) => {
      if (pending.intervals.delete(Number(id))) window.clearInterval(Number(id));
    },
    requestAnimationFrame: (callback: unknown) => {
      if (typeof callback !== "function") return refuse("requestAnimationFrame needs a function");
      const id = window.requestAnimationFrame((time) => {
        pending.frames.delete(id);
        (callback as Fn)(time);
      });
      pending.frames.add(id);
      return id;
    },
    cancelAnimationFrame: (id: unknown) => {
      if (pending.frames.delete(Number(id))) window.cancelAnimationFrame(Number(id));
    },
    queueMicrotask: (callback: unknown) => {
      if (typeof callback !== "function") return refuse("queueMicrotask needs a function");
      queueMicrotask(() => (callback as Fn)());
    },
  };
  for (const [name, value] of Object.entries(given)) {
    descriptors[name] = { value: harden(value), writable: false, configurable: false, enumerable: true };
  }
  return descriptors;
}

// What a component may hold of the page. React hands components real DOM objects (refs, event
// targets, `event.view`), and every DOM node leads to the document (`ownerDocument`,
// `parentNode` of <html>), the window and `location`. So whatever the sandbox passes to generated
// code goes through `tame`: nodes and events become read-mostly views with an allow-list of
// members, and windows, documents, locations and React's fibers become null.
import { refuse } from "@/sandbox/guard/refusal";

const realOf = new WeakMap<object, object>();
const viewOf = new WeakMap<object, object>();
// React elements made by the sandbox's createElement (elements.ts): the only ones generated code
// may hold or hand back. Any other element object is React's or the page's own, or a forgery.
const blessed = new WeakSet<object>();

export function bless<T>(element: T): T {
  if (element !== null && typeof element === "object") {
    // React's production elements are mutable: frozen, nothing can be swapped into one after
    // its props were checked.
    Object.freeze((element as { props?: object }).props);
    Object.freeze(element);
    blessed.add(element);
  }
  return element;
}

export function isBlessed(value: object): boolean {
  return blessed.has(value);
}

/** The real object behind a view made by `tame`, or the value itself. For the sandbox's own
 * code (the kit), never for generated code. */
export function unwrap<T>(value: T): T {
  if (value !== null && (typeof value === "object" || typeof value === "function")) {
    const real = realOf.get(value as object);
    if (real) return real as T;
  }
  return value;
}

export function isView(value: unknown): boolean {
  return value !== null && typeof value === "object" && realOf.has(value);
}

// Members a component may read on a node. Every value read goes through `tame` again.
const NODE_READ = new Set([
  "nodeType",
  "nodeName",
  "tagName",
  "localName",
  "namespaceURI",
  "id",
  "className",
  "classList",
  "dataset",
  "textContent",
  "innerText",
  "children",
  "childNodes",
  "firstChild",
  "lastChild",
  "firstElementChild",
  "lastElementChild",
  "nextSibling",
  "previousSibling",
  "nextElementSibling",
  "previousElementSibling",
  "parentNode",
  "parentElement",
  "childElementCount",
  "isConnected",
  "clientWidth",
  "clientHeight",
  "clientTop",
  "clientLeft",
  "offsetWidth",
  "offsetHeight",
  "offsetTop",
  "offsetLeft",
  "offsetParent",
  "scrollWidth",
  "scrollHeight",
  "scrollTop",
  "scrollLeft",
  "value",
  "checked",
  "selectedIndex",
  "disabled",
  "type",
  "name",
  "style",
  "ownerSVGElement",
  "viewportElement",
]); // prettier-ignore
const NODE_CALL = new Set([
  "getBoundingClientRect",
  "getClientRects",
  "getBBox",
  "getCTM",
  "getScreenCTM",
  "getTotalLength",
  "getPointAtLength",
  "getComputedTextLength",
  "getAttribute",
  "hasAttribute",
  "getAttributeNames",
  "matches",
  "closest",
  "contains",
  "querySelector",
  "querySelectorAll",
  "getElementsByClassName",
  "getElementsByTagName",
  "focus",
  "blur",
  "scrollTo",
  "scrollBy",
  "scrollIntoView",
  "select",
  "setPointerCapture",
  "releasePointerCapture",
  "hasPointerCapture",
  "addEventListener",
  "removeEventListener",
]); // prettier-ignore
const NODE_WRITE = new Set(["scrollTop", "scrollLeft", "value", "checked", "selectedIndex"]);

const EVENT_READ = new Set([
  "type",
  "bubbles",
  "cancelable",
  "defaultPrevented",
  "eventPhase",
  "isTrusted",
  "timeStamp",
  "target",
  "currentTarget",
  "relatedTarget",
  "nativeEvent",
  "detail",
  "clientX",
  "clientY",
  "pageX",
  "pageY",
  "screenX",
  "screenY",
  "offsetX",
  "offsetY",
  "movementX",
  "movementY",
  "x",
  "y",
  "button",
  "buttons",
  "altKey",
  "ctrlKey",
  "metaKey",
  "shiftKey",
  "key",
  "code",
  "keyCode",
  "charCode",
  "which",
  "repeat",
  "deltaX",
  "deltaY",
  "deltaZ",
  "deltaMode",
  "pointerId",
  "pointerType",
  "pressure",
  "width",
  "height",
  "isPrimary",
  "data",
  "inputType",
  "animationName",
  "propertyName",
  "elapsedTime",
]); // prettier-ignore
const EVENT_CALL = new Set([
  "preventDefault",
  "stopPropagation",
  "stopImmediatePropagation",
  "isDefaultPrevented",
  "isPropagationStopped",
  "persist",
  "getModifierState",
]); // prettier-ignore

const STYLE_DENIED = new Set(["parentRule"]);

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === Array.prototype || proto === null;
}

function isSyntheticEvent(value: object): boolean {
  // React's SyntheticEvent: it keeps the native event and the target's fiber (`_targetInst`).
  return "nativeEvent" in value && (value as { nativeEvent: unknown }).nativeEvent instanceof Event;
}

function isReactInternal(value: object): boolean {
  // A fiber (its `stateNode` is a DOM node) or a class component instance (`_reactInternals`).
  return (
    ("stateNode" in value && "return" in value && "tag" in value) ||
    "_reactInternals" in value ||
    "_reactInternalInstance" in value
  );
}

function isPowerful(value: object): boolean {
  return (
    value === globalThis ||
    value instanceof Window ||
    value instanceof Document ||
    value instanceof Location ||
    value instanceof History ||
    value instanceof Navigator ||
    value instanceof Storage
  );
}

function describe(value: object, key: PropertyKey): string {
  const kind =
    value instanceof Event || isSyntheticEvent(value)
      ? "an event"
      : value instanceof Node
        ? `a <${value.nodeName.toLowerCase()}>`
        : "it";
  return `components may not use \`${String(key)}\` of ${kind}`;
}

function makeView(real: object, read: Set<string>, call: Set<string>, write: Set<string>): object {
  const handler: ProxyHandler<object> = {
    get(_target, key) {
      if (typeof key === "symbol") return undefined;
      if (call.has(key)) {
        const method = (real as Record<string, unknown>)[key];
        if (typeof method !== "function") return undefined;
        return (...args: unknown[]) => {
          const passed =
            key === "addEventListener" || key === "removeEventListener" ? listenerArgs(args) : args;
          return tame(Reflect.apply(method, real, passed.map(unwrap)));
        };
      }
      if (read.has(key)) return tame(Reflect.get(real, key, real));
      return refuse(describe(real, key));
    },
    set(_target, key, value) {
      if (typeof key === "string" && write.has(key)) return Reflect.set(real, key, unwrap(value), real);
      return refuse(`components may not set \`${String(key)}\``);
    },
    has(_target, key) {
      return typeof key === "string" && (read.has(key) || call.has(key));
    },
    ownKeys: () => [],
    getOwnPropertyDescriptor: () => undefined,
    defineProperty: () => refuse("components may not define properties on page objects"),
    deleteProperty: () => refuse("components may not delete properties of page objects"),
    getPrototypeOf: () => null,
    setPrototypeOf: () => refuse("components may not change the prototype of page objects"),
  };
  return new Proxy({}, handler);
}

function makeStyleView(real: CSSStyleDeclaration): object {
  // Styles are data: reading and writing them is allowed (a `url()` in them is stopped by the
  // frame's CSP), but not the way out to the style sheet.
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key === "symbol") return undefined;
        if (STYLE_DENIED.has(key)) return refuse(`components may not use \`style.${key}\``);
        const value = Reflect.get(real, key, real);
        if (typeof value === "function")
          return (...args: unknown[]) => tame(Reflect.apply(value, real, args));
        return tame(value);
      },
      set(_target, key, value) {
        if (typeof key === "symbol") return false;
        return Reflect.set(real, key, value, real);
      },
      has: (_target, key) => key in real,
      ownKeys: () => [],
      getOwnPropertyDescriptor: () => undefined,
      getPrototypeOf: () => null,
    },
  );
}

// A component's DOM listener gets tamed events; the same function removes the same listener.
const listeners = new WeakMap<object, EventListener>();

function listenerArgs(args: unknown[]): unknown[] {
  const [type, listener, options] = args;
  if (typeof listener !== "function") return refuse("event listeners must be functions");
  let wrapped = listeners.get(listener);
  if (!wrapped) {
    wrapped = (event: Event) => {
      listener(tame(event));
    };
    listeners.set(listener, wrapped);
  }
  return [type, wrapped, typeof options === "boolean" ? options : options ? { ...options } : undefined];
}

function remember(real: object, view: object): object {
  realOf.set(view, real);
  viewOf.set(real, view);
  return view;
}

/**
 * What generated code gets instead of `value`. Primitives, functions and plain data pass
 * unchanged (a plain object or array holding a page object is copied with that value tamed, one
 * level deep); nodes and events become views; everything that would reach the window, and React
 * elements the sandbox did not make for the component, become null.
 */
export function tame(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (realOf.has(value) || blessed.has(value)) return value;
  if ("$$typeof" in value) return null;
  const known = viewOf.get(value);
  if (known) return known;
  if (isPowerful(value) || isReactInternal(value)) return null;
  if (value instanceof Node) return remember(value, makeView(value, NODE_READ, NODE_CALL, NODE_WRITE));
  if (value instanceof Event || isSyntheticEvent(value))
    return remember(value, makeView(value, EVENT_READ, EVENT_CALL, new Set()));
  if (value instanceof CSSStyleDeclaration) return remember(value, makeStyleView(value));
  if (value instanceof NodeList || value instanceof HTMLCollection)
    return Object.freeze(Array.from(value, tame));
  if (value instanceof EventTarget) return null;
  if (isPlain(value)) return tameShallow(value);
  return value;
}

function needsTaming(value: unknown): boolean {
  if (value === null || typeof value !== "object" || realOf.has(value) || blessed.has(value)) return false;
  if ("$$typeof" in value) return true;
  return !isPlain(value) && (value instanceof EventTarget || value instanceof Event || tame(value) !== value);
}

function tameShallow(value: object): object {
  if (Array.isArray(value)) {
    return value.some(needsTaming) ? value.map((item) => (needsTaming(item) ? tame(item) : item)) : value;
  }
  const entries = Object.entries(value);
  if (!entries.some(([, item]) => needsTaming(item))) return value;
  return Object.fromEntries(entries.map(([key, item]) => [key, needsTaming(item) ? tame(item) : item]));
}

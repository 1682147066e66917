// The React that generated code gets. Its createElement is the only way into the rendered tree:
// it refuses elements that load or navigate (<meta>, <base>, <iframe>, <script>, <link>, ...),
// raw HTML (dangerouslySetInnerHTML, srcDoc) and forms; it makes every ref and callback the
// component passes receive tamed values (no DOM node, event or fiber reaches generated code
// unwrapped); and it remembers every element it made, so an element object the component forged
// by hand (`{$$typeof: Symbol.for("react.element"), ...}`, which would get a raw ref) is refused
// wherever it is returned or passed.
import * as React from "react";
import { bless, isBlessed, isView, tame } from "@/sandbox/guard/membrane";
import { refuse } from "@/sandbox/guard/refusal";

// Elements that fetch, navigate, run script or hold HTML the sandbox cannot check.
const REFUSED_ELEMENTS = new Set([
  "meta",
  "base",
  "link",
  "style",
  "script",
  "noscript",
  "template",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "portal",
  "fencedframe",
  "form",
  "slot",
]); // prettier-ignore
const REFUSED_PROPS = new Set([
  "dangerouslySetInnerHTML",
  "srcDoc",
  "srcdoc",
  "action",
  "formAction",
  "formaction",
]);
const HREF_PROPS = ["href", "xlinkHref", "xlink:href"];

type Fn = (...args: unknown[]) => unknown;
type AnyProps = Record<string, unknown>;

const guardedTypes = new WeakSet<object>();
const callbacks = new WeakMap<Fn, Fn>();
const components = new WeakMap<Fn, Fn>();
const refs = new WeakMap<object, (node: unknown) => unknown>();

function isObject(value: unknown): value is object {
  return value !== null && typeof value === "object";
}

// What a value the component passed has become: a frozen copy made by the sandbox.
const snapshots = new WeakMap<object, object>();
// Ref objects made by the sandbox's useRef/createRef: React writes `current`, so they stay as they are.
const refObjects = new WeakSet<object>();

function isDate(value: object): boolean {
  try {
    Date.prototype.getTime.call(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A value the component passes into React (a prop, a child, a callback's result). Elements must
 * be ones the sandbox made, functions are guarded, and any other object becomes a frozen copy of
 * its own data properties, made once per object (the original is frozen too, so the copy stays
 * true): React and Recharts only ever read objects the sandbox made, never one whose getters or
 * Proxy traps could answer differently after the check.
 */
function guardValue(value: unknown): unknown {
  if (typeof value === "function") return guardCallback(value as Fn);
  if (!isObject(value)) return value;
  if (isBlessed(value) || isView(value) || refObjects.has(value) || isDate(value)) return value;
  const known = snapshots.get(value);
  if (known) return known;
  if (Object.hasOwn(value, "$$typeof")) {
    return refuse("the component passed an element it did not create with React.createElement");
  }
  if (Symbol.iterator in value && !Array.isArray(value)) {
    return refuse("components may pass arrays, not other iterables (Map, Set, generators)");
  }
  try {
    Object.freeze(value);
  } catch {
    return refuse("components may pass only plain data as props");
  }
  const descriptors = Object.getOwnPropertyDescriptors(value);
  const copy = (Array.isArray(value) ? [] : {}) as Record<string, unknown>;
  snapshots.set(value, copy);
  snapshots.set(copy, copy);
  for (const [key, descriptor] of Object.entries(descriptors)) {
    if (!("value" in descriptor)) return refuse("components may not pass objects with getters as props");
    if (!descriptor.enumerable && Array.isArray(value) && key === "length") continue;
    if (descriptor.enumerable) copy[key] = guardValue(descriptor.value);
  }
  return Object.freeze(copy);
}

/** A function of the component that React or Recharts calls: its arguments are tamed and what it
 * returns is checked like a prop. */
function guardCallback(fn: Fn): Fn {
  if (components.has(fn) || guardedTypes.has(fn)) return fn;
  const known = callbacks.get(fn);
  if (known) return known;
  if (isClass(fn)) return refuse("class components are not supported; write a function component");
  const guarded = (...args: unknown[]) => guardValue(fn(...args.map(tame)));
  callbacks.set(fn, guarded);
  callbacks.set(guarded, guarded);
  return guarded;
}

/** A function component of the component's own: its props are tamed, what it renders checked. */
function guardComponent(fn: Fn): Fn {
  if (isClass(fn)) return refuse("class components are not supported; write a function component");
  const known = components.get(fn);
  if (known) return known;
  const guarded = ((props: unknown, second: unknown) => guardValue(fn(tame(props), tame(second)))) as Fn & {
    displayName?: string;
    defaultProps?: unknown;
  };
  guarded.displayName = (fn as { displayName?: string }).displayName || fn.name || "Component";
  components.set(fn, guarded);
  components.set(guarded, guarded);
  return guarded;
}

function isClass(fn: Fn): boolean {
  const proto = (fn as { prototype?: { isReactComponent?: unknown } }).prototype;
  return Boolean(
    proto && (proto.isReactComponent || /^class[\s{]/.test(Function.prototype.toString.call(fn))),
  );
}

function guardRef(ref: unknown): unknown {
  if (ref === null || ref === undefined) return ref;
  if (typeof ref === "function") {
    let guarded = refs.get(ref);
    if (!guarded) {
      guarded = (node: unknown) => (ref as Fn)(tame(node));
      refs.set(ref, guarded);
      refs.set(guarded, guarded);
    }
    return guarded;
  }
  if (isObject(ref) && "current" in ref) {
    let guarded = refs.get(ref);
    if (!guarded) {
      guarded = (node: unknown) => {
        (ref as { current: unknown }).current = tame(node);
      };
      refs.set(ref, guarded);
    }
    return guarded;
  }
  return refuse("refs must be functions or objects made by useRef");
}

export interface SandboxReactOptions {
  /** Component types of the sandbox's own modules (Recharts, the kit), rendered as they are. */
  trusted: Set<unknown>;
}

/** The `react` module as generated code sees it. */
export function makeSandboxReact({ trusted }: SandboxReactOptions) {
  const reactTypes = new Set<unknown>([React.Fragment, React.StrictMode, React.Suspense, React.Profiler]);

  function checkType(type: unknown): unknown {
    if (typeof type === "string") {
      const name = type.toLowerCase();
      if (REFUSED_ELEMENTS.has(name)) return refuse(`components may not render <${name}> elements`);
      return type;
    }
    if (reactTypes.has(type) || trusted.has(type)) return type;
    if (typeof type === "function") return guardedTypes.has(type) ? type : guardComponent(type as Fn);
    if (isObject(type) && guardedTypes.has(type)) return type;
    return refuse("the component rendered a type that is neither an element name nor a component");
  }

  function checkProps(type: unknown, config: AnyProps | null | undefined): AnyProps {
    const props: AnyProps = {};
    if (config === null || config === undefined) return props;
    if (!isObject(config)) return refuse("element props must be an object");
    const host = typeof type === "string" ? type.toLowerCase() : null;
    const inherited =
      typeof type === "function" ? (type as { defaultProps?: AnyProps }).defaultProps : undefined;
    for (const [key, value] of Object.entries(config)) {
      if (REFUSED_PROPS.has(key)) return refuse(`components may not set \`${key}\``);
      if (key === "ref") {
        if (typeof value === "string") return refuse("string refs are not supported");
        props.ref = guardRef(value);
        continue;
      }
      if (host === "use" && HREF_PROPS.includes(key) && !String(value).startsWith("#")) {
        return refuse("an SVG <use> may only refer to an element of this chart (#id)");
      }
      props[key] = guardValue(value);
    }
    if (inherited) {
      for (const [key, value] of Object.entries(inherited))
        if (props[key] === undefined) props[key] = guardValue(value);
    }
    return props;
  }

  function createElement(type: unknown, config?: AnyProps | null, ...children: unknown[]) {
    const checked = checkType(type);
    const props = checkProps(type, config);
    const kids = children.map((child) => guardValue(child));
    return bless(
      (React.createElement as (t: unknown, p: AnyProps, ...c: unknown[]) => unknown)(checked, props, ...kids),
    );
  }

  function cloneElement(element: unknown, config?: AnyProps | null, ...children: unknown[]) {
    if (!isObject(element) || !isBlessed(element))
      return refuse("only elements the component made can be cloned");
    const props = checkProps((element as { type: unknown }).type, config);
    const kids = children.map((child) => guardValue(child));
    return bless(
      (React.cloneElement as (e: unknown, p: AnyProps, ...c: unknown[]) => unknown)(element, props, ...kids),
    );
  }

  function memo(type: unknown, compare?: unknown) {
    const inner = checkType(type);
    const made = React.memo(
      inner as React.FunctionComponent,
      typeof compare === "function" ? (guardCallback(compare as Fn) as () => boolean) : undefined,
    );
    guardedTypes.add(made);
    return made;
  }

  function forwardRef(render: unknown) {
    if (typeof render !== "function") return refuse("forwardRef needs a render function");
    const made = React.forwardRef(guardComponent(render as Fn) as React.ForwardRefRenderFunction<unknown>);
    guardedTypes.add(made);
    return made;
  }

  function createContext(defaultValue: unknown) {
    const context = React.createContext(defaultValue);
    guardedTypes.add(context.Provider);
    guardedTypes.add(context.Consumer);
    return context;
  }

  const Children = {
    map(children: unknown, fn: unknown) {
      if (typeof fn !== "function") return refuse("Children.map needs a function");
      const mapped = React.Children.map(
        guardValue(children) as React.ReactNode,
        guardCallback(fn as Fn) as () => unknown,
      );
      // React re-keys the children it returns (new objects made from checked ones).
      mapped?.forEach(bless);
      return mapped;
    },
    forEach(children: unknown, fn: unknown) {
      if (typeof fn !== "function") return refuse("Children.forEach needs a function");
      React.Children.forEach(guardValue(children) as React.ReactNode, guardCallback(fn as Fn) as () => void);
    },
    count: (children: unknown) => React.Children.count(guardValue(children) as React.ReactNode),
    only: (children: unknown) => React.Children.only(guardValue(children) as React.ReactNode),
    toArray(children: unknown) {
      const array = React.Children.toArray(guardValue(children) as React.ReactNode);
      array.forEach(bless);
      return array;
    },
  };

  const api = {
    Children,
    Fragment: React.Fragment,
    Profiler: React.Profiler,
    StrictMode: React.StrictMode,
    Suspense: React.Suspense,
    cloneElement,
    createContext,
    createElement,
    createRef() {
      const ref = React.createRef();
      refObjects.add(ref);
      return ref;
    },
    forwardRef,
    isValidElement: React.isValidElement,
    memo,
    startTransition: React.startTransition,
    useCallback: React.useCallback,
    useContext: React.useContext,
    useDebugValue: React.useDebugValue,
    useDeferredValue: React.useDeferredValue,
    useEffect: React.useEffect,
    useId: React.useId,
    useImperativeHandle: React.useImperativeHandle,
    useInsertionEffect: React.useInsertionEffect,
    useLayoutEffect: React.useLayoutEffect,
    useMemo: React.useMemo,
    useReducer: React.useReducer,
    useRef(initial?: unknown) {
      const ref = React.useRef(initial);
      refObjects.add(ref);
      return ref;
    },
    useState: React.useState,
    useSyncExternalStore: React.useSyncExternalStore,
    useTransition: React.useTransition,
    version: React.version,
  };
  return { ...api, default: api };
}

/** The component's default export as the sandbox renders it (its output checked like any other). */
export function guardExport(component: unknown): unknown {
  if (typeof component === "function") return guardComponent(component as Fn);
  if (isObject(component) && guardedTypes.has(component)) return component;
  return refuse("the default export must be a function component");
}

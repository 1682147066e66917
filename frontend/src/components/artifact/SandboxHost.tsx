// The portal's one sandbox frame (sandbox="allow-scripts", never allow-same-origin) and the typed
// postMessage protocol that drives it: full renders when code or data change, params-only messages
// otherwise. The frame is mounted once at the app's root, before any artifact, and kept for the
// page's whole life: users pay the sandbox's start once, on every page (chat, template, gallery
// thumbnails), and each artifact is one `render` message.
//
// An iframe that moves in the DOM reloads, so the frame stays put in a fixed layer and is placed
// over the chart slot of whichever page shows one (`SandboxSlot`). One slot owns the frame at a
// time: the newest slot a user sees, else the newest transparent one (a gallery thumbnail). A new
// owner starts from a cleared frame, and the frame is shown only once it has answered that
// owner's artifact (`rendered` or `error`), so nothing of the previous owner's chart shows.
import { autoUpdate } from "@floating-ui/dom";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import type { LoadedData } from "@/lib/data";
import { placementOver, tabNeighbour } from "@/lib/frame-placement";
import type { ParamValues } from "@/lib/params";
import {
  acceptMessage,
  type HostMessage,
  hostMessage,
  type SandboxData,
  SandboxMessageSchema,
} from "@/sandbox/protocol";

export type RenderPhase = "compile" | "render" | "data";

/** What a slot asks of the frame; the slot keeps it current and calls `update` when it changes. */
export interface Slot {
  element: HTMLElement | null;
  code: string;
  params: ParamValues;
  data: LoadedData | null;
  theme: "light" | "dark";
  /** The page wants the chart seen now (not under a "Generating" overlay, not a failed load). */
  shown: boolean;
  /** Drawn but never seen (a thumbnail being made): the frame is fully transparent over the slot. */
  transparent: boolean;
  onError: (phase: RenderPhase, message: string) => void;
  onRendered: () => void;
  /** Whether the frame now shows a chart this slot sent (false after a clear or a change of owner). */
  onDrawn: (drawn: boolean) => void;
}

interface SandboxHostApi {
  /** The slot joins the owners' queue; the returned function leaves it. */
  claim(slot: Slot): () => void;
  /** The slot's artifact or visibility changed. */
  update(slot: Slot): void;
  exportChart(slot: Slot, format: "png" | "svg", latest?: ParamValues): Promise<Blob>;
  /** Tab reached the slot's focus stop: focus goes into the frame, which sits elsewhere in the DOM. */
  enter(): void;
}

const SandboxContext = createContext<SandboxHostApi | null>(null);

export function useSandboxHost(): SandboxHostApi {
  const host = useContext(SandboxContext);
  if (!host) throw new Error("A sandbox slot needs the SandboxHost above it.");
  return host;
}

function toSandboxData(data: LoadedData): { data: SandboxData; transfer: Transferable[] } {
  if (data.format === "json") return { data: { format: "json", result: data.result }, transfer: [] };
  // Transfer a copy: the host keeps its bytes for the next render.
  const buffer = data.buffer.slice(0);
  return { data: { format: "parquet", buffer }, transfer: [buffer] };
}

/** Visible slots before transparent ones; the newest of each kind first. */
function pickOwner(slots: Slot[]): Slot | null {
  for (let i = slots.length - 1; i >= 0; i--) if (!slots[i]?.transparent) return slots[i] ?? null;
  return slots[slots.length - 1] ?? null;
}

export function SandboxHost({ sandboxUrl, children }: { sandboxUrl: string; children: ReactNode }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const layer = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  const readyRef = useRef(false);
  // A sandbox can navigate itself (no sandbox flag forbids that). A second `load` means the component
  // did: the frame is replaced and that code is not sent again.
  const [frameKey, setFrameKey] = useState(0);
  const loads = useRef(0);
  const blockedCode = useRef<string | null>(null);
  const renderId = useRef(0);
  const sent = useRef<{ code: string; data: LoadedData; params: ParamValues } | null>(null);
  const themeSent = useRef<string | null>(null);
  const exports = useRef(new Map<number, { resolve: (b: Blob) => void; reject: (e: Error) => void }>());
  const exportCounter = useRef(0);
  const slots = useRef<Slot[]>([]);
  const owner = useRef<Slot | null>(null);
  // The frame has answered the owner's artifact (`rendered` or `error`): only then is it shown.
  const answered = useRef(false);
  const drawn = useRef(false);
  const stopPlacing = useRef<(() => void) | null>(null);
  // Keyboard order: the frame is not where its slot is in the DOM, so the slot has a focus stop that
  // sends focus into the frame, and Tab out of the frame lands on these two exits, which send it on
  // to the stop's neighbours. The exits are tabbable only while the frame has focus.
  const exits = useRef<(HTMLSpanElement | null)[]>([]);
  const setExits = useCallback((tabbable: boolean) => {
    for (const exit of exits.current) if (exit) exit.tabIndex = tabbable ? 0 : -1;
  }, []);
  const leave = useCallback(
    (direction: 1 | -1) => {
      setExits(false);
      const stop = owner.current?.element?.firstElementChild;
      if (!(stop instanceof HTMLElement)) return;
      (tabNeighbour(stop, direction, layer.current) ?? stop).focus();
    },
    [setExits],
  );

  const post = useCallback((message: HostMessage, transfer: Transferable[] = []) => {
    // The sandbox's origin is opaque, so it cannot be named as a target origin.
    frame.current?.contentWindow?.postMessage(message, "*", transfer);
  }, []);

  const setDrawn = useCallback((value: boolean) => {
    if (drawn.current === value) return;
    drawn.current = value;
    owner.current?.onDrawn(value);
  }, []);

  /** Puts the frame over the owner's slot, or hides it. Runs on every scroll, resize or move. */
  const place = useCallback(() => {
    const node = layer.current;
    if (!node) return;
    const slot = owner.current;
    const where = slot?.element ? placementOver(slot.element) : null;
    const seen = Boolean(slot && where && readyRef.current && slot.shown && answered.current);
    const transparent = Boolean(slot?.transparent && where);
    if (!where || !(seen || transparent)) {
      node.style.visibility = "hidden";
      return;
    }
    const { box, clip } = where;
    Object.assign(node.style, {
      visibility: "visible",
      left: `${box.left}px`,
      top: `${box.top}px`,
      width: `${box.width}px`,
      height: `${box.height}px`,
      // A thumbnail is drawn whole, never seen; a chart is cut to the part of its slot in view.
      clipPath: transparent ? "" : `inset(${clip.top}px ${clip.right}px ${clip.bottom}px ${clip.left}px)`,
      opacity: transparent ? "0" : "",
      pointerEvents: transparent ? "none" : "",
      zIndex: transparent ? "-1" : "",
    });
    node.toggleAttribute("inert", transparent);
  }, []);

  const clear = useCallback(() => {
    answered.current = false;
    setDrawn(false);
    if (!sent.current) return;
    renderId.current += 1;
    post(hostMessage({ type: "clear", renderId: renderId.current }));
    sent.current = null;
  }, [post, setDrawn]);

  /** Sends the owner's artifact as it stands: nothing, a clear, a params message or a full render. */
  const sync = useCallback(() => {
    const slot = owner.current;
    if (!readyRef.current || !slot) return;
    const { code, data, params, theme } = slot;
    if (themeSent.current !== theme) {
      post(hostMessage({ type: "theme", theme }));
      themeSent.current = theme;
    }
    if (!code && !data) {
      // No artifact any more (a new conversation): the previous one must not stay behind.
      clear();
      place();
      return;
    }
    if (!code || !data || code === blockedCode.current) return;
    const last = sent.current;
    if (last && last.code === code && last.data === data) {
      if (last.params === params) return;
      renderId.current += 1;
      post(hostMessage({ type: "params", renderId: renderId.current, params }));
    } else {
      renderId.current += 1;
      const payload = toSandboxData(data);
      post(
        hostMessage({
          type: "render",
          renderId: renderId.current,
          code,
          params,
          data: payload.data,
          columns: data.columns,
          theme,
        }),
        payload.transfer,
      );
    }
    sent.current = { code, data, params };
  }, [clear, place, post]);

  /** Hands the frame to the slot that should have it now; a new owner starts from a cleared frame. */
  const elect = useCallback(() => {
    const next = pickOwner(slots.current);
    if (next !== owner.current) {
      clear();
      for (const pending of exports.current.values()) pending.reject(new Error("The chart was replaced."));
      exports.current.clear();
      owner.current?.onDrawn(false);
      owner.current = next;
      drawn.current = false;
      stopPlacing.current?.();
      stopPlacing.current = next?.element ? autoUpdate(next.element, null, place) : null;
    }
    sync();
    place();
  }, [clear, place, sync]);

  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      const message = acceptMessage(event, frame.current?.contentWindow, SandboxMessageSchema);
      if (!message) return;
      switch (message.type) {
        case "ready":
          sent.current = null;
          themeSent.current = null;
          answered.current = false;
          setDrawn(false);
          readyRef.current = true;
          setReady(true);
          sync();
          place();
          break;
        case "rendered":
          if (message.renderId !== renderId.current) break;
          answered.current = true;
          setDrawn(true);
          owner.current?.onRendered();
          place();
          break;
        case "error":
          if (message.renderId !== renderId.current) break;
          answered.current = true;
          owner.current?.onError(message.phase, message.message);
          place();
          break;
        case "exported": {
          const pending = exports.current.get(message.requestId);
          exports.current.delete(message.requestId);
          if (!pending) break;
          if (message.blob) pending.resolve(message.blob);
          else pending.reject(new Error(message.message ?? "Export failed."));
          break;
        }
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [place, setDrawn, sync]);

  useEffect(() => () => stopPlacing.current?.(), []);

  // A frame that failed to load (the network dropped) shows the browser's error page, never "ready":
  // it stays hidden, and loads again once the browser is back online.
  useEffect(() => {
    if (ready) return;
    const reload = () => {
      loads.current = 0;
      sent.current = null;
      setFrameKey((k) => k + 1);
    };
    window.addEventListener("online", reload);
    return () => window.removeEventListener("online", reload);
  }, [ready]);

  const api = useMemo<SandboxHostApi>(
    () => ({
      claim(slot) {
        slots.current = [...slots.current.filter((s) => s !== slot), slot];
        elect();
        return () => {
          slots.current = slots.current.filter((s) => s !== slot);
          elect();
        };
      },
      enter() {
        frame.current?.focus();
      },
      update(slot) {
        if (slot !== owner.current) return;
        sync();
        place();
      },
      exportChart(slot, format, latest) {
        if (slot !== owner.current) return Promise.reject(new Error("The chart is not shown."));
        const last = sent.current;
        if (latest && last && last.params !== latest) {
          renderId.current += 1;
          post(hostMessage({ type: "params", renderId: renderId.current, params: latest }));
          sent.current = { ...last, params: latest };
        }
        exportCounter.current += 1;
        const id = exportCounter.current;
        return new Promise<Blob>((resolve, reject) => {
          exports.current.set(id, { resolve, reject });
          post(hostMessage({ type: "export", requestId: id, format }));
          setTimeout(() => {
            if (exports.current.delete(id)) reject(new Error("The sandbox did not answer."));
          }, 10_000);
        });
      },
    }),
    [elect, place, post, sync],
  );

  return (
    <SandboxContext.Provider value={api}>
      {children}
      {/* Fixed, so moving between pages never moves (and so reloads) the frame. Under dialogs and
          menus (z-50), over the page; a slot's own overlays sit above it (z-20). */}
      <div ref={layer} className="invisible fixed z-10" data-testid="sandbox-layer">
        {/* biome-ignore lint/a11y/noStaticElementInteractions: an exit that hands focus back to the page */}
        <span
          ref={(node) => {
            exits.current[0] = node;
          }}
          tabIndex={-1}
          onFocus={() => leave(-1)}
        />
        <iframe
          key={frameKey}
          ref={frame}
          onLoad={() => {
            loads.current += 1;
            if (loads.current < 2) return;
            blockedCode.current = sent.current?.code ?? owner.current?.code ?? null;
            loads.current = 0;
            sent.current = null;
            readyRef.current = false;
            answered.current = false;
            setDrawn(false);
            setReady(false);
            place();
            setFrameKey((k) => k + 1);
            owner.current?.onError(
              "render",
              "The component tried to navigate the sandbox away; it was stopped.",
            );
          }}
          title="Chart preview"
          data-testid="sandbox-frame"
          src={sandboxUrl}
          sandbox="allow-scripts"
          referrerPolicy="no-referrer"
          className="h-full w-full rounded-md border bg-background"
          tabIndex={-1}
          onFocus={() => setExits(true)}
          onBlur={() =>
            // Focus left the frame some other way than by an exit (a click on the page).
            setTimeout(() => {
              if (!exits.current.includes(document.activeElement as HTMLSpanElement)) setExits(false);
            })
          }
        />
        {/* biome-ignore lint/a11y/noStaticElementInteractions: an exit that hands focus back to the page */}
        <span
          ref={(node) => {
            exits.current[1] = node;
          }}
          tabIndex={-1}
          onFocus={() => leave(1)}
        />
      </div>
    </SandboxContext.Provider>
  );
}

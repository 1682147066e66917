// Where a page shows a chart: a placeholder the portal's one sandbox frame (SandboxHost) is laid
// over while this slot owns it. The slot sends its artifact through the host; it never has a frame
// of its own, so opening a page with a chart loads no second sandbox.
import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState } from "react";
import { type RenderPhase, type Slot, useSandboxHost } from "@/components/artifact/SandboxHost";
import type { LoadedData } from "@/lib/data";
import type { ParamValues } from "@/lib/params";

export interface SandboxHandle {
  /** The chart as a file; `latest` params not sent yet (a change still in its debounce) go first. */
  exportChart(format: "png" | "svg", latest?: ParamValues): Promise<Blob>;
}

interface Props {
  code: string;
  params: ParamValues;
  data: LoadedData | null;
  theme: "light" | "dark";
  /** Whether the chart may be seen now (false under a "Generating" overlay or after a failed load). */
  shown?: boolean;
  /** A picture being made: drawn at the slot's size, never seen. */
  transparent?: boolean;
  onError: (phase: RenderPhase, message: string) => void;
  onRendered: () => void;
  onDrawn?: (drawn: boolean) => void;
  className?: string;
}

export const SandboxSlot = forwardRef<SandboxHandle, Props>(function SandboxSlot(
  {
    code,
    params,
    data,
    theme,
    shown = true,
    transparent = false,
    onError,
    onRendered,
    onDrawn,
    className = "h-full w-full",
  },
  ref,
) {
  const host = useSandboxHost();
  const element = useRef<HTMLDivElement>(null);
  const slot = useRef<Slot | null>(null);
  const [drawn, setDrawn] = useState(false);
  const latest = { code, params, data, theme, shown, transparent, onError, onRendered };
  if (!slot.current) slot.current = { element: null, onDrawn: () => undefined, ...latest };
  // The host reads the slot when it sends; callbacks and props are kept current every render.
  Object.assign(slot.current, latest, {
    onDrawn: (value: boolean) => {
      setDrawn(value);
      onDrawn?.(value);
    },
  });

  useLayoutEffect(() => {
    const own = slot.current;
    if (!own) return;
    own.element = element.current;
    return host.claim(own);
  }, [host]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the slot object carries these values
  useEffect(() => {
    if (slot.current) host.update(slot.current);
  }, [host, code, data, params, theme, shown]);

  useImperativeHandle(
    ref,
    () => ({
      exportChart(format, values) {
        if (!slot.current) return Promise.reject(new Error("The chart is not shown."));
        return host.exportChart(slot.current, format, values);
      },
    }),
    [host],
  );

  // The chart's place in the keyboard order: Tab here goes into the frame (SandboxHost).
  return (
    <div ref={element} className={className} data-testid="sandbox-slot">
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a focus stop that hands focus to the frame */}
      <span
        tabIndex={shown && drawn && !transparent ? 0 : -1}
        onFocus={() => host.enter()}
        data-testid="sandbox-focus"
      />
    </div>
  );
});

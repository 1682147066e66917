// A chart's size, measured before the browser paints. Recharts' ResponsiveContainer measures its
// box in a passive effect: the frame's first commit has no chart, and the chart renders later, in
// passes scheduled one after another (its store is filled by its children's effects). Measured in
// a layout effect instead, the chart mounts in the same task, synchronously, at its final size:
// React flushes a layout effect's update, and that render's passive effects, before it yields.
import { cloneElement, type ReactElement, type RefObject, useLayoutEffect, useRef, useState } from "react";
import { unwrap } from "@/sandbox/guard/membrane";

/** The element's size in CSS pixels (rounded), measured in a layout effect and on every resize. */
export function useResize(ref: RefObject<Element | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    // The component's ref holds the sandbox's view of the element (guard/membrane.ts).
    const el = unwrap(ref.current);
    if (!(el instanceof Element)) return;
    const measure = () => {
      const rect = el.getBoundingClientRect();
      setSize((prev) =>
        prev.width === Math.round(rect.width) && prev.height === Math.round(rect.height)
          ? prev
          : { width: Math.round(rect.width), height: Math.round(rect.height) },
      );
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/**
 * Fills its parent, like `<ResponsiveContainer width="100%" height="100%">`, and gives the chart
 * element it holds (a Recharts `BarChart`, `LineChart`, ...) that box's `width` and `height`,
 * measured before the first paint and again whenever the box resizes.
 */
export function SizedChart({ children }: { children: ReactElement<{ width?: number; height?: number }> }) {
  const box = useRef<HTMLDivElement>(null);
  const { width, height } = useResize(box);
  return (
    <div ref={box} className="vz-sized-chart" style={{ width: "100%", height: "100%" }}>
      {/* No size of its own: the chart never holds its box open while the frame shrinks. */}
      <div style={{ width: 0, height: 0, overflow: "visible" }}>
        {width > 0 && height > 0 ? cloneElement(children, { width, height }) : null}
      </div>
    </div>
  );
}

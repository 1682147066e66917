// Where the portal's one sandbox frame goes: over a page's chart slot, cut to what of the slot its
// scrolling ancestors and the window leave in view. The frame cannot move in the DOM (an iframe
// that moves reloads), so it is a fixed layer placed on top of the slot instead.
import { getOverflowAncestors } from "@floating-ui/dom";

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Placement {
  box: Box;
  /** How much of each edge is out of view (CSS `clip-path: inset(top right bottom left)`). */
  clip: { top: number; right: number; bottom: number; left: number };
}

/** The part of `box` inside every box of `clips`, as insets from its edges; null when none is left. */
export function placementWithin(box: Box, clips: Box[]): Placement | null {
  if (box.width <= 0 || box.height <= 0) return null;
  let left = box.left;
  let top = box.top;
  let right = box.left + box.width;
  let bottom = box.top + box.height;
  for (const c of clips) {
    left = Math.max(left, c.left);
    top = Math.max(top, c.top);
    right = Math.min(right, c.left + c.width);
    bottom = Math.min(bottom, c.top + c.height);
  }
  if (right <= left || bottom <= top) return null;
  return {
    box,
    clip: {
      top: top - box.top,
      right: box.left + box.width - right,
      bottom: box.top + box.height - bottom,
      left: left - box.left,
    },
  };
}

/** The inner (padding) box of a scrolling ancestor: what it shows of its content. */
function clientBox(element: Element): Box {
  const rect = element.getBoundingClientRect();
  return {
    left: rect.left + element.clientLeft,
    top: rect.top + element.clientTop,
    width: element.clientWidth,
    height: element.clientHeight,
  };
}

/** Where the frame goes to cover `slot`; null when nothing of the slot is on screen (or it is not displayed). */
export function placementOver(slot: Element): Placement | null {
  const rect = slot.getBoundingClientRect();
  const view = slot.ownerDocument.defaultView;
  const clips: Box[] = getOverflowAncestors(slot)
    .filter((node): node is Element => node instanceof Element)
    .map(clientBox);
  if (view) clips.push({ left: 0, top: 0, width: view.innerWidth, height: view.innerHeight });
  return placementWithin({ left: rect.left, top: rect.top, width: rect.width, height: rect.height }, clips);
}

const TABBABLE =
  'a[href], area[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), iframe, [contenteditable="true"], [tabindex]';

/**
 * The element Tab (direction 1) or Shift+Tab (-1) reaches from `from` in document order, skipping
 * what is inside `skip` (the frame's own layer). Positive tabindex values are not used in the
 * portal, so document order is tab order.
 */
export function tabNeighbour(from: Element, direction: 1 | -1, skip: Element | null): HTMLElement | null {
  const all = Array.from(from.ownerDocument.querySelectorAll<HTMLElement>(TABBABLE)).filter(
    (e) => e === from || (e.tabIndex >= 0 && !skip?.contains(e) && e.checkVisibility?.() !== false),
  );
  const at = all.indexOf(from as HTMLElement);
  if (at < 0) return null;
  return all[at + direction] ?? null;
}

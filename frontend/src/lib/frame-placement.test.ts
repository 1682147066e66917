import { describe, expect, it } from "vitest";
import { placementWithin } from "@/lib/frame-placement";

const box = { left: 100, top: 200, width: 400, height: 300 };

describe("placementWithin", () => {
  it("leaves a slot wholly in view uncut", () => {
    expect(placementWithin(box, [{ left: 0, top: 0, width: 1000, height: 1000 }])).toEqual({
      box,
      clip: { top: 0, right: 0, bottom: 0, left: 0 },
    });
  });

  it("cuts the edges a scrolling ancestor and the window hide", () => {
    const scroller = { left: 0, top: 250, width: 1000, height: 1000 };
    const window = { left: 0, top: 0, width: 450, height: 800 };
    expect(placementWithin(box, [scroller, window])?.clip).toEqual({
      top: 50,
      right: 50,
      bottom: 0,
      left: 0,
    });
  });

  it("has no place for a slot scrolled out of view or not displayed", () => {
    expect(placementWithin(box, [{ left: 0, top: 600, width: 1000, height: 100 }])).toBeNull();
    expect(placementWithin({ left: 0, top: 0, width: 0, height: 0 }, [])).toBeNull();
  });
});

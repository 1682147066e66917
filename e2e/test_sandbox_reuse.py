"""Issue 13, finding 10: the sandbox is already there. The portal boots one sandbox frame with the
page and draws every artifact in it: a second answer renders without a new frame load, and a
reused frame lets no artifact see what the previous one held or left running."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from e2e.helpers import BAR, DEMO_REGIONS, UI_TIMEOUT_MS, ask, expect_bars, expect_complete, sandbox
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

CHANNEL = "vizorch-sandbox/1"
# After the second artifact rendered, how long the first one's leftovers get to show themselves.
GRACE_S = 1.0


def _sandbox_frame(page: Page) -> Frame:
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.url.endswith("/sandbox/"):
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"no sandbox frame in {[f.url for f in page.frames]}")


def test_second_answer_renders_in_the_frame_booted_with_the_page(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    # Before any question the sandbox is already loaded and waiting.
    expect(page.get_by_test_id("sandbox-frame")).to_have_count(1)
    expect(sandbox(page).get_by_text("Waiting for a component")).to_be_attached(
        timeout=UI_TIMEOUT_MS
    )
    frame = _sandbox_frame(page)
    # A mark on the frame's document: a new load of the frame would lose it.
    frame.evaluate("() => { window.__e2eDocument = 'first' }")
    loads: list[str] = []
    page.on("framenavigated", lambda f: loads.append(f.url) if f is not page.main_frame else None)

    expect_complete(ask(page, "Show total sales by region"))
    expect_bars(page, DEMO_REGIONS)

    expect_complete(ask(page, "Show total sales by month"))
    # The second chart, and nothing of the first, in the same document.
    expect(sandbox(page).locator(".recharts-line-curve")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(sandbox(page).locator(BAR)).to_have_count(0)
    assert loads == [], loads
    assert frame.evaluate("() => window.__e2eDocument") == "first"
    expect(page.get_by_test_id("sandbox-frame")).to_have_count(1)


# The host page of the isolation test: embeds the live server's sandbox page the way the portal
# does (an opaque-origin iframe on the portal's origin) and records every message it answers.
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>host</title></head><body>
<script>
  window.__messages = [];
  window.addEventListener("message", (event) => {
    const frame = document.getElementById("frame");
    if (frame && event.source === frame.contentWindow) window.__messages.push(event.data);
  });
  const frame = document.createElement("iframe");
  frame.id = "frame";
  frame.setAttribute("sandbox", "allow-scripts");
  frame.style.width = "700px";
  frame.style.height = "400px";
  frame.src = "/sandbox/";
  document.body.appendChild(frame);
  window.__send = (message) => frame.contentWindow.postMessage(message, "*");
</script></body></html>"""

# The first artifact tries every place the next one could read, and leaves timers behind.
FIRST = """import React, { useEffect } from "react";
import * as Kit from "@vizorch/kit";
import * as Recharts from "recharts";
export default function Viz({ data }) {
  const secret = String(data.rows[0][0]);
  const places = { globalThis, ObjectPrototype: Object.prototype, ArrayPrototype: Array.prototype,
    React, Kit, formatNumber: Kit.formatNumber, Recharts, Intl, Math, JSON, Date, console };
  for (const place of Object.values(places)) {
    try { place.__stash = secret; } catch (e) {}
  }
  useEffect(() => {
    // Never cleared: they would go on failing while the next artifact shows.
    setInterval(() => { throw new Error("LEFTOVER interval"); }, 50);
    setTimeout(() => { throw new Error("LEFTOVER timeout"); }, 300);
  }, []);
  return <p>FIRST holds {secret}</p>;
}
"""

# The second artifact looks for anything the first one left.
SECOND = """import React from "react";
import * as Kit from "@vizorch/kit";
import * as Recharts from "recharts";
export default function Viz({ data }) {
  const places = { globalThis, ObjectPrototype: Object.prototype, ArrayPrototype: Array.prototype,
    React, Kit, formatNumber: Kit.formatNumber, Recharts, Intl, Math, JSON, Date, console };
  const seen = [];
  for (const [name, place] of Object.entries(places)) {
    try {
      if (place.__stash !== undefined) seen.push(name + "=" + String(place.__stash));
    } catch (e) {}
  }
  const rows = data.rows.map((r) => r.join(":")).join(" ");
  return <p>SECOND {seen.length ? "SAW " + seen.join(", ") : "CLEAN"} rows {rows}</p>;
}
"""


def _render(render_id: int, code: str, rows: list[list[Any]]) -> dict[str, Any]:
    return {
        "channel": CHANNEL,
        "type": "render",
        "renderId": render_id,
        "code": code,
        "params": {},
        "data": {"format": "json", "result": {"columns": ["label", "value"], "rows": rows}},
        "theme": "light",
    }


def test_reused_frame_keeps_nothing_of_the_previous_artifact(
    live_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    context = new_context()
    host = f"{live_server.url}/e2e-sandbox-host/"
    context.route(
        host,
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=HOST_PAGE
        ),
    )
    page = context.new_page()
    page.goto(host)
    page.wait_for_function(
        "() => window.__messages.some((m) => m && m.type === 'ready')", timeout=UI_TIMEOUT_MS
    )
    secret = f"SECRET-{uuid.uuid4().hex}"
    frame = page.frame_locator("#frame")

    page.evaluate("(m) => window.__send(m)", _render(1, FIRST, [[secret, 1]]))
    expect(frame.get_by_text(f"FIRST holds {secret}")).to_be_visible(timeout=UI_TIMEOUT_MS)

    before = page.evaluate("() => window.__messages.length")
    page.evaluate("(m) => window.__send(m)", _render(2, SECOND, [["other", 2]]))
    verdict = frame.get_by_text("SECOND")
    expect(verdict).to_contain_text("CLEAN rows other:2", timeout=UI_TIMEOUT_MS)
    expect(frame.get_by_text("FIRST holds")).to_have_count(0)
    time.sleep(GRACE_S)

    # The second render reported `rendered` and no error; after it, nothing more came (the first
    # one's timers, which failed every 50 ms, are gone; before the second render they counted as
    # the first one's).
    since = [(m.get("type"), m.get("renderId")) for m in page.evaluate(
        "(n) => window.__messages.slice(n)", before
    )]  # fmt: skip
    assert ("rendered", 2) in since, since
    assert since[since.index(("rendered", 2)) :] == [("rendered", 2)], since
    assert ("error", 2) not in since, since
    assert secret not in frame.locator("body").inner_text()

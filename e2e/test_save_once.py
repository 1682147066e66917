"""Issue 13, finding 11: saving a chart as a template makes one version, with the parameters as
tuned, and the overlay while a first chart is written hides the sandbox's own waiting line."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import (
    DEMO_REGIONS,
    UI_TIMEOUT_MS,
    Api,
    ask,
    expect_bars,
    expect_complete,
    sandbox,
    set_title,
    unique,
)

pytestmark = pytest.mark.e2e

SLOW_LINK = {"offline": False, "latency": 0, "downloadThroughput": 1024, "uploadThroughput": -1}
FAST_LINK = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
CPU_SLOWDOWN = 6


def test_saving_a_tuned_chart_makes_one_version(
    sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    page = sign_in("analyst")
    expect_complete(ask(page, "Show total sales by region"))
    expect_bars(page, DEMO_REGIONS)
    title = unique("Saved once")
    set_title(page, title)
    page.get_by_test_id("save-template").click()
    page.get_by_test_id("template-title").fill(title)
    with page.expect_response("**/api/templates") as created:
        page.get_by_test_id("save-template-submit").click()
    template = created.value.json()
    expect(page.get_by_test_id("save-status")).to_be_visible(timeout=UI_TIMEOUT_MS)

    assert template["version"] == 1
    assert template["parameters"]["values"]["title"] == title
    api = api_as("analyst")
    versions = api.client.get(f"/api/templates/{template['id']}/versions").json()
    assert [v["version"] for v in versions] == [1], versions
    page.get_by_test_id("save-status").get_by_role("button", name="Open it").click()
    expect(page.get_by_test_id("template-heading")).to_contain_text(title, timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("template-view")).to_contain_text("v1")


# Holds the sandbox's `rendered` messages in the portal until the "New" click: they then arrive
# right after React has dropped the artifact and before the frame is cleared (the order a loaded
# machine produced). The messages are the frame's own, only later.
HOLD_RENDERED_UNTIL_NEW_CHAT = """() => {
  const held = (window.__held = []);
  window.addEventListener("message", (event) => {
    if (window.__released || !event.data || event.data.type !== "rendered") return;
    event.stopImmediatePropagation();
    held.push({ data: event.data, source: event.source });
  }, true);
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-testid=new-chat]")) return;
    // After React's update for the click and its effects, before the next task.
    queueMicrotask(() => {
      window.__released = held.length;
      for (const m of held) window.dispatchEvent(new MessageEvent("message", m));
    });
  });
}"""


def test_generating_overlay_hides_the_sandbox_waiting_line(sign_in: Callable[[str], Page]) -> None:
    page = sign_in("analyst")
    cdp = page.context.new_cdp_session(page)
    # A slow CPU, as on a loaded CI machine, and the first chart's `rendered` arriving after the
    # new chat dropped it: that once left the frame shown for the next answer (ROADMAP-15).
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.evaluate(HOLD_RENDERED_UNTIL_NEW_CHAT)
    # A first answer loads the sandbox's assets into the cache; a new chat starts without a chart.
    expect_complete(ask(page, "Show total sales by region"))
    # The first chart was drawn: the frame said `rendered`, and the portal holds it.
    page.wait_for_function("() => window.__held.length > 0", timeout=UI_TIMEOUT_MS)
    page.get_by_test_id("new-chat").click()
    assert page.evaluate("() => window.__released") >= 1
    # The frame booted with the page stays, empty and hidden.
    expect(page.get_by_test_id("sandbox-frame")).to_be_hidden()

    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    box = page.get_by_test_id("prompt-input")
    box.fill("Show total sales by category")
    box.press("Enter")
    # The sandbox is up and waiting for the component that is still being written.
    expect(sandbox(page).get_by_text("Waiting for a component…")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    # The overlay covers it, and the frame behind the overlay stays hidden.
    expect(page.get_by_test_id("artifact-overlay")).to_be_visible()
    expect(page.get_by_test_id("sandbox-frame")).to_be_hidden()

    cdp.send("Network.emulateNetworkConditions", FAST_LINK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    expect_complete(page.get_by_test_id("run").first)
    expect(page.get_by_test_id("artifact-overlay")).to_have_count(0)
    expect(page.get_by_test_id("sandbox-frame")).to_be_visible()

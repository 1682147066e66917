"""Issue 13, keyboard and screen reader: axe-core finds no serious violation on the main screens,
the run is announced through a live region, focus moves to new content, dialogs hold focus."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import DEMO_REGIONS, UI_TIMEOUT_MS, Api, ask, expect_bars, expect_complete, unique
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the portal page (the sandbox iframe is the
    chart's own document and is checked as part of the page)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results
        if v["impact"] in SERIOUS
    ]


def expect_no_serious_violations(page: Page) -> None:
    found = serious_violations(page)
    assert not found, json.dumps(found, indent=1)


def test_no_serious_axe_violations_on_the_main_screens(
    live_server: LiveServer, sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    page = sign_in("analyst")
    expect_no_serious_violations(page)

    run = ask(page, "Show total sales by region")
    expect_complete(run)
    expect_bars(page, DEMO_REGIONS)
    expect_no_serious_violations(page)

    page.get_by_test_id("save-template").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect_no_serious_violations(page)
    page.keyboard.press("Escape")

    page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html.dark")).to_have_count(1)
    # Colours are checked once they have finished changing.
    page.wait_for_function("document.getAnimations().every((a) => !(a instanceof CSSTransition))")
    expect_no_serious_violations(page)
    page.get_by_test_id("theme-toggle").click()

    # The gallery with a card in it.
    api = api_as("analyst")
    template = api.template_from_run(api.chat("Show total sales by region").run_id, unique("Axe"))
    page.get_by_test_id("nav-templates").click()
    expect(page).to_have_url(f"{live_server.url}/app/templates")
    expect(page.get_by_test_id("template-card").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect_no_serious_violations(page)
    page.goto(f"{live_server.url}/app/templates/{template['id']}")
    expect(page.get_by_test_id("template-heading")).to_contain_text("Axe", timeout=UI_TIMEOUT_MS)
    expect_bars(page, DEMO_REGIONS)
    expect_no_serious_violations(page)


def test_the_run_is_announced_in_a_live_region(sign_in: Callable[[str], Page]) -> None:
    page = sign_in("analyst")
    announcer = page.get_by_test_id("run-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_attribute("role", "status")
    expect_complete(ask(page, "Show total sales by region"))
    expect(announcer).to_have_text("Done. The chart is ready.")


def test_focus_moves_to_the_new_page_and_dialogs_hold_it(sign_in: Callable[[str], Page]) -> None:
    page = sign_in("analyst")
    expect_complete(ask(page, "Show total sales by region"))
    page.get_by_test_id("nav-templates").click()
    expect(page.get_by_role("main")).to_be_focused()
    page.go_back()
    expect(page.get_by_role("main")).to_be_focused()
    expect(page.get_by_test_id("run")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    page.get_by_test_id("save-template").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.activeElement && !!document.activeElement.closest('[role=dialog]')"
        ), "focus left the dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("save-template")).to_be_focused()


# Where the portal's focus is: the element's tag, and whether it comes after the chart's slot.
_ACTIVE_JS = """() => {
  const e = document.activeElement;
  const slot = document.querySelector("[data-testid=sandbox-slot]");
  const following = e && slot ? slot.compareDocumentPosition(e) : 0;
  const after = !!(following & Node.DOCUMENT_POSITION_FOLLOWING);
  return { tag: e ? e.tagName : null, after };
}"""


def test_tab_goes_through_the_chart_where_it_is_shown(sign_in: Callable[[str], Page]) -> None:
    """The one sandbox frame sits at the page's root, laid over the chart's place; the keyboard
    still reaches it between the chart's tab panel and the parameters, both ways."""
    page = sign_in("analyst")
    expect_complete(ask(page, "Show total sales by region"))
    expect_bars(page, DEMO_REGIONS)
    panel = page.locator("[role=tabpanel][data-state=active]")
    panel.focus()
    page.keyboard.press("Tab")
    assert page.evaluate(_ACTIVE_JS)["tag"] == "IFRAME"
    # Through the chart's own focusable parts, then on to the parameters after the chart.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate(_ACTIVE_JS)["tag"] != "IFRAME":
            break
    active = page.evaluate(_ACTIVE_JS)
    assert active["after"] and active["tag"] != "IFRAME", active
    assert page.evaluate(
        "() => !!document.activeElement.closest('[data-testid=artifact-panel]')"
    ), "focus left the artifact"
    # And back: into the frame, through it, then out before it.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(_ACTIVE_JS)["tag"] == "IFRAME"
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(_ACTIVE_JS)["tag"] != "IFRAME":
            break
    expect(panel).to_be_focused()

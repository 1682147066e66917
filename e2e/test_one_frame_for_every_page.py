"""Issue 13, "a sandbox that is already there": the portal has one sandbox frame for all its pages.
Moving between the chat, the gallery (which draws a card's picture in that frame) and a template,
by links and by back and forward, loads the sandbox once; each page's chart is drawn in that frame,
laid over the page's chart area, with nothing of the previous page's chart left in it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from e2e.helpers import (
    BAR,
    DEMO_REGIONS,
    RUN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    Api,
    ask,
    expect_bars,
    expect_complete,
    sandbox,
    sign_in_page,
    unique,
)
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

LINE = ".recharts-line-curve"


def _is_sandbox_document(request: Request) -> bool:
    return request.resource_type == "document" and request.url.split("?")[0].endswith("/sandbox/")


def expect_frame_over_the_chart_area(page: Page) -> None:
    """The one frame covers the page's chart slot (it is laid over it, not inside it)."""
    slot = page.get_by_test_id("sandbox-slot")
    frame = page.get_by_test_id("sandbox-frame")
    expect(frame).to_be_visible(timeout=UI_TIMEOUT_MS)
    slot_box, frame_box = slot.bounding_box(), frame.bounding_box()
    assert slot_box and frame_box, (slot_box, frame_box)
    for edge in ("x", "y", "width", "height"):
        assert abs(slot_box[edge] - frame_box[edge]) <= 1, (slot_box, frame_box)


def expect_chat_chart(page: Page) -> None:
    expect_bars(page, DEMO_REGIONS)
    expect(sandbox(page).locator(LINE)).to_have_count(0)
    expect_frame_over_the_chart_area(page)


def expect_template_chart(page: Page, title: str) -> None:
    expect(page.get_by_test_id("template-heading")).to_contain_text(title, timeout=UI_TIMEOUT_MS)
    expect(sandbox(page).locator(LINE)).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(sandbox(page).locator(BAR)).to_have_count(0)
    expect_frame_over_the_chart_area(page)


def test_moving_between_pages_reuses_the_one_sandbox_frame(
    live_server: LiveServer,
    new_context: Callable[[], BrowserContext],
    api_as: Callable[[str], Api],
) -> None:
    # A template with another kind of chart (a line) than the chat's answer (bars); saved without
    # a picture, so the gallery draws its card's picture on the way.
    analyst = api_as("analyst")
    answer = analyst.chat("Show total sales by month")
    assert answer.run["status"] == "succeeded", answer.run
    title = unique("One frame")
    template = analyst.template_from_run(answer.run_id, title)

    context = new_context()
    loads: list[str] = []
    context.on("request", lambda r: loads.append(r.url) if _is_sandbox_document(r) else None)
    page = sign_in_page(context, live_server, "analyst")
    expect(sandbox(page).get_by_text("Waiting for a component")).to_be_attached(
        timeout=UI_TIMEOUT_MS
    )
    expect_complete(ask(page, "Show total sales by region"))
    expect_chat_chart(page)
    chat_url = page.url

    # To the gallery: the card's picture is drawn in the same frame, never seen; once the
    # gallery's pictures are made (other tests' templates queue through the frame too), no page
    # shows a chart and the frame is hidden.
    page.get_by_test_id("nav-templates").click()
    card = page.locator(f"[data-testid=template-card][data-template-id='{template['id']}']")
    expect(card.get_by_test_id("template-thumbnail")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("thumbnail-maker")).to_have_count(0, timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("sandbox-frame")).to_be_hidden()

    # Into the template, then back to the chat and forward again.
    page.get_by_role("button", name=f"Open {title}").click()
    expect_template_chart(page, title)
    page.go_back()
    page.go_back()
    expect(page).to_have_url(chat_url)
    expect_chat_chart(page)
    page.go_forward()
    page.go_forward()
    expect_template_chart(page, title)

    # Back to the chat by the portal's own link.
    page.get_by_test_id("nav-workspace").click()
    expect(page).to_have_url(chat_url)
    expect_chat_chart(page)

    assert len(loads) == 1, loads
    expect(page.get_by_test_id("sandbox-frame")).to_have_count(1)

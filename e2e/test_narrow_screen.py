"""Issue 13, finding 8: at 390 px (a phone) nothing scrolls sideways and the user menu fits; a chart
drawn on a wide window follows the window down to that width and back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.helpers import (
    DEMO_REGIONS,
    UI_TIMEOUT_MS,
    ask,
    expect_bars,
    expect_complete,
    sandbox,
    screenshot,
    sign_in_page,
)
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

WIDTH = 390


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": 844})
    try:
        yield sign_in_page(context, live_server, "analyst")
    finally:
        context.close()


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


# The outermost elements that reach past the screen's right edge, to name them in a failure.
_WIDE_JS = """(width) => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.getBoundingClientRect().right > width
    && !(e.parentElement && e.parentElement.getBoundingClientRect().right > width))
  .slice(0, 5)
  .map((e) => `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent || "").slice(0, 40)}"`)
"""


def _expect_no_sideways_scroll(page: Page) -> None:
    width = _page_width(page)
    assert width <= WIDTH, f"the page is {width} px wide: {page.evaluate(_WIDE_JS, WIDTH)}"


def test_nothing_scrolls_sideways_at_390_px(phone: Page) -> None:
    _expect_no_sideways_scroll(phone)
    expect_complete(ask(phone, "Show total sales by region"))
    expect_bars(phone, DEMO_REGIONS)
    _expect_no_sideways_scroll(phone)
    screenshot(phone, "portal-phone")
    phone.get_by_test_id("nav-templates").click()
    expect(phone.get_by_test_id("nav-templates")).to_have_attribute("aria-current", "page")
    _expect_no_sideways_scroll(phone)


def test_the_user_menu_fits_at_390_px(phone: Page) -> None:
    trigger = phone.get_by_test_id("user-menu")
    box = trigger.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    trigger.click()
    item = phone.get_by_test_id("sign-out")
    expect(item).to_be_visible()
    menu = phone.get_by_role("menu")
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    expect(menu).to_contain_text("Signed in as analyst")


def _chart_and_frame_widths(page: Page) -> tuple[float, float]:
    """0 for a chart or frame with no box at this moment: while the window is resized the chart
    is drawn again at its new size and has none in between."""
    chart = sandbox(page).locator(".recharts-surface").first.bounding_box()
    frame = page.get_by_test_id("sandbox-frame").bounding_box()
    return (chart or {"width": 0.0})["width"], (frame or {"width": 0.0})["width"]


def _wait_for_chart_within_frame(page: Page) -> tuple[float, float]:
    """The chart's and the frame's widths once the chart fits the frame (it follows a resize)."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    chart, frame = _chart_and_frame_widths(page)
    while not (frame / 2 < chart <= frame) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        chart, frame = _chart_and_frame_widths(page)
    assert chart > 0 and frame > 0, "the chart or its frame has no box"
    return chart, frame


def test_a_chart_follows_the_window_down_to_390_px_and_back(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 844})
    try:
        page = sign_in_page(context, live_server, "analyst")
        expect_complete(ask(page, "Show total sales by region"))
        expect_bars(page, DEMO_REGIONS)
        wide, wide_frame = _wait_for_chart_within_frame(page)
        assert wide_frame / 2 < wide <= wide_frame, (wide, wide_frame)
        page.set_viewport_size({"width": WIDTH, "height": 844})
        narrow, narrow_frame = _wait_for_chart_within_frame(page)
        assert narrow_frame < wide_frame and narrow_frame / 2 < narrow <= narrow_frame, (
            narrow,
            narrow_frame,
        )
        _expect_no_sideways_scroll(page)
        expect_bars(page, DEMO_REGIONS)
        page.set_viewport_size({"width": 1280, "height": 844})
        again, again_frame = _wait_for_chart_within_frame(page)
        assert again > narrow and again_frame / 2 < again <= again_frame, (again, again_frame)
    finally:
        context.close()

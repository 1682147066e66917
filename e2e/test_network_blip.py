"""Issue 13, finding 6: a data fetch cut by a network blip shows an error with Retry (never the
browser's offline page in the chart), loads again by itself when the browser is back online, and
the error does not follow into a new conversation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from e2e.helpers import DEMO_REGIONS, UI_TIMEOUT_MS, ask, expect_bars, expect_complete

pytestmark = pytest.mark.e2e

QUESTION = "Show total sales by region"


def _cut_first_data_fetch(page: Page, *, offline: bool) -> list[str]:
    """The first request for the run's data fails as a dropped network would (and, with
    `offline`, the browser goes offline at that moment); later ones go through."""
    cut: list[str] = []

    def handle(route: Route) -> None:
        # The result's column descriptions (`/columns`, fetched beside the data and optional)
        # go through: the data itself is what the blip cuts.
        if cut or route.request.url.split("?", 1)[0].endswith("/columns"):
            route.continue_()
            return
        cut.append(route.request.url)
        if offline:
            page.context.set_offline(True)
        route.abort("internetdisconnected")

    page.route("**/api/data/**", handle)
    return cut


def test_offline_during_the_data_fetch_recovers_when_back_online(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    cut = _cut_first_data_fetch(page, offline=True)
    box = page.get_by_test_id("prompt-input")
    box.fill(QUESTION)
    box.press("Enter")

    error = page.get_by_test_id("render-error")
    expect(error).to_contain_text("The data could not be loaded", timeout=UI_TIMEOUT_MS)
    expect(error).to_contain_text("back online")
    expect(page.get_by_test_id("retry-data")).to_be_visible()
    assert cut
    # The chart area never shows the browser's own error page.
    expect(page.get_by_test_id("sandbox-frame")).to_be_hidden()

    page.context.set_offline(False)
    expect_bars(page, DEMO_REGIONS)
    expect(error).to_have_count(0)
    expect_complete(page.get_by_test_id("run").first)


def test_retry_loads_the_data_that_failed(sign_in: Callable[[str], Page]) -> None:
    page = sign_in("analyst")
    _cut_first_data_fetch(page, offline=False)
    ask(page, QUESTION)
    error = page.get_by_test_id("render-error")
    expect(error).to_contain_text("The data could not be loaded", timeout=UI_TIMEOUT_MS)
    page.get_by_test_id("retry-data").click()
    expect_bars(page, DEMO_REGIONS)
    expect(error).to_have_count(0)


def test_a_data_error_does_not_follow_into_a_new_conversation(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    _cut_first_data_fetch(page, offline=False)
    ask(page, QUESTION)
    error = page.get_by_test_id("render-error")
    expect(error).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.get_by_test_id("new-chat").click()
    expect(error).to_have_count(0)
    expect_complete(ask(page, "Show total sales by category"))
    expect(error).to_have_count(0)

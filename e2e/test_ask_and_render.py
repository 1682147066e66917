"""Issue 7, scenario 1: an analyst asks; thoughts and code stream; a bar chart with one bar per
region renders inside the sandbox iframe."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import (
    BAR,
    DEMO_REGIONS,
    UI_TIMEOUT_MS,
    ask,
    expect_bars,
    expect_complete,
    parse_sse,
    sandbox,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_question_streams_thoughts_and_code_then_bar_chart_per_region(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    expect(page.get_by_test_id("current-user")).to_have_text("analyst")

    with page.expect_response(lambda r: r.url.endswith("/api/chat")) as chat:
        run = ask(page, "Show total sales by region")
    expect_complete(run)

    # The answer arrived as a stream: several thought chunks, then the component in code chunks.
    events = [name for name, _ in parse_sse(chat.value.text())]
    assert events[0] == "run" and events[-1] == "done", events
    assert events.count("thought") >= 2, events
    assert events.count("code") >= 2, events
    assert events.index("thought") < events.index("code"), events
    expect(run.get_by_test_id("run-thoughts")).not_to_be_empty()
    expect(run).to_contain_text("Component:")

    # One bar per region, drawn by the generated component inside the sandbox iframe.
    expect_bars(page, DEMO_REGIONS)
    frame_element = page.get_by_test_id("sandbox-frame")
    expect(frame_element).to_have_attribute("sandbox", "allow-scripts")
    expect(sandbox(page).locator(".recharts-surface").first).to_be_visible()

    # The portal's own tabs show the same answer: the code that was streamed, five data rows.
    page.get_by_test_id("tab-code").click()
    expect(page.get_by_test_id("artifact-panel")).to_contain_text("export default")
    page.get_by_test_id("tab-data").click()
    expect(page.get_by_test_id("data-table").locator("tbody tr")).to_have_count(
        DEMO_REGIONS, timeout=UI_TIMEOUT_MS
    )
    page.get_by_test_id("tab-preview").click()
    expect(sandbox(page).locator(BAR)).to_have_count(DEMO_REGIONS, timeout=UI_TIMEOUT_MS)
    screenshot(page, "portal-chart")

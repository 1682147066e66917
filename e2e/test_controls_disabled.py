"""Issue 7, scenario 3: the parameter controls are disabled, with a "Generating..." indicator, while
a run streams, and come back when it is done."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import (
    DEMO_REGIONS,
    RUN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    ask,
    expect_bars,
    expect_complete,
)

pytestmark = pytest.mark.e2e

# The offline analyst answers in well under a second; a slow link (Chromium's own network
# throttling) keeps the follow-up's stream arriving for several seconds, so its in-between state
# can be observed deterministically. 16 KB of events at 1 KB/s.
SLOW_LINK = {"offline": False, "latency": 0, "downloadThroughput": 1024, "uploadThroughput": -1}
FAST_LINK = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def test_controls_disabled_while_a_follow_up_streams(sign_in: Callable[[str], Page]) -> None:
    page = sign_in("analyst")
    expect_complete(ask(page, "Show total sales by region"))
    expect_bars(page, DEMO_REGIONS)
    title = page.get_by_test_id("param-title")
    generating = page.get_by_test_id("params-generating")
    expect(title).to_be_enabled()
    expect(generating).to_have_count(0)

    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    page.get_by_test_id("prompt-input").fill("Make it a line chart")
    page.get_by_test_id("prompt-input").press("Enter")
    follow_up = page.get_by_test_id("run").nth(1)

    # Mid-stream: thoughts are arriving, the run is not done, and the controls are locked.
    expect(follow_up.get_by_test_id("run-thoughts")).not_to_be_empty(timeout=UI_TIMEOUT_MS)
    expect(follow_up).to_have_attribute("data-status", "streaming")
    expect(title).to_be_disabled()
    expect(page.locator("[data-testid=params-panel] fieldset:disabled")).to_have_count(1)
    expect(generating).to_have_text("Generating...")
    expect(page.get_by_test_id("stop-button")).to_be_visible()

    cdp.send("Network.emulateNetworkConditions", FAST_LINK)
    expect(follow_up).to_have_attribute("data-status", "complete", timeout=RUN_TIMEOUT_MS)
    expect(title).to_be_enabled(timeout=UI_TIMEOUT_MS)
    expect(generating).to_have_count(0)
    expect(page.locator("[data-testid=params-panel] fieldset:disabled")).to_have_count(0)

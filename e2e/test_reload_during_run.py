"""Issue 13, finding 2: the URL names the conversation once its run has started, and a reload
during the run follows it live again (from its log, through GET /api/runs/{id}/events) or shows
the finished answer."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.helpers import (
    DEMO_REGIONS,
    RUN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    expect_bars,
    expect_complete,
    last_run,
    sign_in_page,
)
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

CONVERSATION_URL = re.compile(r"/app/c/[0-9a-f-]{36}$")


def test_reload_during_a_run_follows_it_live_with_stop(
    slow_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    page = sign_in_page(new_context(), slow_server, "analyst")
    box = page.get_by_test_id("prompt-input")
    box.fill("Show total sales by region")
    box.press("Enter")
    expect(last_run(page).get_by_test_id("run-thoughts")).to_contain_text(
        "step 2.", timeout=UI_TIMEOUT_MS
    )
    expect(page).to_have_url(CONVERSATION_URL)
    conversation_url = page.url

    events: list[str] = []
    page.on("request", lambda r: events.append(r.url) if r.url.endswith("/events") else None)
    page.reload()
    expect(page).to_have_url(conversation_url)
    run = last_run(page)
    # The same run, still live: its thoughts are replayed once and keep coming.
    expect(run).to_have_attribute("data-status", "streaming", timeout=UI_TIMEOUT_MS)
    expect(run.get_by_test_id("run-thoughts")).to_contain_text("step 6.", timeout=UI_TIMEOUT_MS)
    thoughts = run.get_by_test_id("run-thoughts").inner_text()
    assert thoughts.count("step 1.") == 1, thoughts
    assert any("/api/runs/" in url for url in events), events
    expect(page.get_by_test_id("run")).to_have_count(1)

    # ... and it can be stopped from the reloaded page.
    with page.expect_response("**/api/runs/*/cancel") as cancel:
        page.get_by_test_id("stop-button").click()
    assert cancel.value.status == 202
    expect(run).to_have_attribute("data-status", "cancelled", timeout=RUN_TIMEOUT_MS)


def test_reload_as_soon_as_the_url_names_the_conversation_shows_the_answer(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    box = page.get_by_test_id("prompt-input")
    box.fill("Show total sales by region")
    box.press("Enter")
    page.wait_for_url(CONVERSATION_URL, timeout=UI_TIMEOUT_MS)
    page.reload()
    expect(page.get_by_test_id("run")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect_complete(last_run(page))
    expect_bars(page, DEMO_REGIONS)
    expect(page.get_by_test_id("stop-button")).to_have_count(0)

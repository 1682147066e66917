"""Issue 7, scenario 7: Stop during a run cancels it. The run must still be going when Stop is
pressed, so this test's server asks a model stand-in that thinks slowly (see `slow_server`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from e2e.helpers import RUN_TIMEOUT_MS, UI_TIMEOUT_MS, Api, parse_sse, sign_in_page
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e


def test_stop_cancels_the_running_run(
    slow_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    page = sign_in_page(new_context(), slow_server, "analyst")
    box = page.get_by_test_id("prompt-input")
    box.fill("Show total sales by region")
    box.press("Enter")
    run = page.get_by_test_id("run").first

    # The run is live: the model's thoughts keep streaming in.
    expect(run.get_by_test_id("run-thoughts")).to_contain_text("step 3.", timeout=UI_TIMEOUT_MS)
    expect(run).to_have_attribute("data-status", "streaming")

    with page.expect_response("**/api/runs/*/cancel") as cancel:
        page.get_by_test_id("stop-button").click()
    assert cancel.value.status == 202, cancel.value.text()
    run_id = cancel.value.json()["run_id"]

    expect(run).to_have_attribute("data-status", "cancelled", timeout=RUN_TIMEOUT_MS)
    expect(run).to_contain_text("Stopped")
    expect(page.get_by_test_id("stop-button")).to_have_count(0)
    expect(page.get_by_test_id("params-generating")).to_have_count(0)

    # The server agrees: the run ended as cancelled, and its stream (replayed) has ended.
    api = Api(slow_server.url, slow_server.api_token("analyst"))
    try:
        status = api.finished_run(run_id)["status"]
        assert status == "cancelled", status
        replay = api.client.get(f"/api/runs/{run_id}/events")
        events = parse_sse(replay.text)
        names = [name for name, _ in events]
        assert names[-1] == "done", names
        assert "code" not in names and "data" not in names, names
    finally:
        api.close()

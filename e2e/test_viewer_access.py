"""Issue 7, scenario 5: a viewer opens a template shared with the viewers (or published and featured
by a curator) read-only, with working parameter controls; a template nobody shared is not listed
(nor reachable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from e2e.helpers import (
    DEMO_REGIONS,
    UI_TIMEOUT_MS,
    Api,
    expect_bars,
    sandbox,
    screenshot,
    set_title,
    unique,
)

pytestmark = pytest.mark.e2e


def _regions_template(analyst: Api, title: str) -> dict[str, Any]:
    answer = analyst.chat("Show total sales by region")
    assert answer.run["status"] == "succeeded", answer.run
    return analyst.template_from_run(answer.run_id, title)


def _opens_read_only_with_working_parameters(page: Page, title: str) -> None:
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.get_by_role("button", name=f"Open {title}").click()
    expect(page.get_by_test_id("read-only-badge")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect_bars(page, DEMO_REGIONS)
    for action in ("save-params", "share-template", "template-status", "prompt-input"):
        expect(page.get_by_test_id(action)).to_have_count(0)

    # The parameters still work for the viewer: the chart is re-rendered from the loaded data.
    assert any("/api/data/" in r.url for r in requests), [r.url for r in requests]
    del requests[:]
    chart_title = unique("Viewer's own title")
    set_title(page, chart_title)
    expect(sandbox(page).get_by_text(chart_title)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect_bars(page, DEMO_REGIONS)
    assert [r.url for r in requests if "/api/data/" in r.url] == []


def test_viewer_sees_shared_template_read_only_with_working_parameters_and_not_unshared_one(
    sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    analyst = api_as("analyst")
    tag = unique("viewers").split()[-1]
    shared = _regions_template(analyst, f"Regions for viewers {tag}")
    unshared = _regions_template(analyst, f"Regions kept private {tag}")
    analyst.share(shared["id"], [{"group": "Viewer", "role": "viewer"}])

    page = sign_in("viewer")
    expect(page.get_by_test_id("prompt-input")).to_have_count(0)
    page.get_by_test_id("nav-templates").click()
    page.get_by_test_id("template-search").fill(tag)
    expect(page.get_by_test_id("template-card")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("button", name=f"Open {shared['title']}")).to_have_count(1)
    expect(page.get_by_role("button", name=f"Open {unshared['title']}")).to_have_count(0)
    page.get_by_test_id("filter-featured").click()
    expect(page.get_by_test_id("template-card")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    page.get_by_test_id("filter-shared").click()

    _opens_read_only_with_working_parameters(page, shared["title"])
    screenshot(page, "viewer-read-only")

    # Not reachable by address either.
    page.goto(page.url.rsplit("/", 1)[0] + f"/{unshared['id']}")
    # The page's sandbox frame is there (booted with every page) but draws nothing of it.
    expect(sandbox(page).get_by_text("Waiting for a component")).to_be_attached(
        timeout=UI_TIMEOUT_MS
    )
    expect(sandbox(page).locator(".recharts-surface")).to_have_count(0)
    expect(page.get_by_test_id("template-view")).to_contain_text(
        "not found", ignore_case=True, timeout=UI_TIMEOUT_MS
    )


def test_viewer_opens_template_published_and_featured_by_curator_read_only(
    sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    tag = unique("curated").split()[-1]
    template = _regions_template(api_as("analyst"), f"Curated regions {tag}")
    curated = api_as("curator").client.patch(
        f"/api/templates/{template['id']}",
        json={"status": "published", "featured": True, "version": template["version"]},
    )
    assert curated.status_code == 200, curated.text

    page = sign_in("viewer")
    page.get_by_test_id("nav-templates").click()
    page.get_by_test_id("filter-featured").click()
    page.get_by_test_id("template-search").fill(tag)
    expect(page.get_by_test_id("template-card")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    _opens_read_only_with_working_parameters(page, template["title"])

"""Issue 7, scenario 4: save the artifact as a template, reload the page, open it from the gallery:
it renders the same (same chart title, same bars)."""

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
    screenshot,
    set_title,
    unique,
)

pytestmark = pytest.mark.e2e


def test_saved_template_reopens_from_gallery_after_reload_and_renders_the_same(
    sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    # Two more of the analyst's templates, so the gallery shows a few cards of this test.
    tag = unique("e2e").split()[-1]
    analyst = api_as("analyst")
    for prompt, title in (
        ("Show monthly revenue by product category", "Monthly revenue by category"),
        ("Show the top 10 products by sales", "Top 10 products"),
    ):
        answer = analyst.chat(prompt)
        assert answer.run["status"] == "succeeded", answer.run
        analyst.template_from_run(answer.run_id, f"{title} · {tag}")

    page = sign_in("analyst")
    expect_complete(ask(page, "Show total sales by region"))
    expect_bars(page, DEMO_REGIONS)
    chart_title = "Total sales per region, as saved"
    set_title(page, chart_title)
    expect(sandbox(page).get_by_text(chart_title)).to_be_visible(timeout=UI_TIMEOUT_MS)

    name = f"Sales by region · {tag}"
    page.get_by_test_id("save-template").click()
    page.get_by_test_id("template-title").fill(name)
    page.get_by_test_id("template-description").fill("Saved by the end-to-end tests.")
    page.get_by_test_id("save-template-submit").click()
    expect(page.get_by_test_id("save-status")).to_be_visible(timeout=UI_TIMEOUT_MS)

    page.reload()
    page.get_by_test_id("nav-templates").click()
    page.get_by_test_id("template-search").fill(tag)
    expect(page.get_by_test_id("template-card")).to_have_count(3, timeout=UI_TIMEOUT_MS)
    screenshot(page, "templates-gallery")
    card = page.get_by_role("button", name=f"Open {name}")
    expect(card).to_have_count(1)
    card.click()

    expect(page.get_by_test_id("template-heading")).to_contain_text(name, timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("read-only-badge")).to_have_count(0)
    expect_bars(page, DEMO_REGIONS)
    expect(sandbox(page).get_by_text(chart_title)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("param-title")).to_have_value(chart_title)
    screenshot(page, "template-view")

"""Issue 13: the browser's back and forward move between conversations and templates."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import UI_TIMEOUT_MS, ask, expect_complete

pytestmark = pytest.mark.e2e

CONVERSATION_URL = re.compile(r"/app/c/[0-9a-f-]{36}$")


def test_back_and_forward_move_between_conversations_and_templates(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    runs = page.get_by_test_id("run")
    expect_complete(ask(page, "Show total sales by region"))
    expect(page).to_have_url(CONVERSATION_URL)
    first = page.url

    page.get_by_test_id("new-chat").click()
    expect(runs).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(first)
    expect(runs).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(runs.first).to_contain_text("by region")
    page.go_forward()
    expect(runs).to_have_count(0, timeout=UI_TIMEOUT_MS)

    expect_complete(ask(page, "Show total sales by category"))
    expect(page).to_have_url(CONVERSATION_URL)
    second = page.url
    assert second != first

    page.get_by_test_id("nav-templates").click()
    expect(page.get_by_test_id("nav-templates")).to_have_attribute("aria-current", "page")

    page.go_back()
    expect(page).to_have_url(second)
    expect(runs).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(runs.first).to_contain_text("by category")
    page.go_back()
    expect(page).to_have_url(first)
    expect(runs.first).to_contain_text("by region", timeout=UI_TIMEOUT_MS)

    page.go_forward()
    expect(page).to_have_url(second)
    expect(runs.first).to_contain_text("by category", timeout=UI_TIMEOUT_MS)
    page.go_forward()
    expect(page.get_by_test_id("nav-templates")).to_have_attribute("aria-current", "page")

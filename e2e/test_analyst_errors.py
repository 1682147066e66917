"""Issue 13, finding 5: a refusal and a question back read once, in the analyst's words, with the
questions to ask next as buttons; the prompt box counts characters against the server's limit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import RUN_TIMEOUT_MS, UI_TIMEOUT_MS, ask, expect_complete, screenshot

pytestmark = pytest.mark.e2e

OPERATOR_WORDS = ("Code generation", "VIZORCH_LLM", "offline", "code_generation")


def test_a_decline_reads_once_in_plain_words_with_suggested_questions(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    run = ask(page, "tell me something interesting")
    declined = run.get_by_test_id("run-declined")
    expect(declined).to_be_visible()
    reason = run.get_by_test_id("run-error").inner_text()
    assert reason.startswith("I can't answer that"), reason
    text = run.inner_text()
    for word in OPERATOR_WORDS:
        assert word not in text, (word, text)
    # Said once: not in the thoughts as well.
    assert text.count(reason[:40]) == 1, text

    suggestions = run.get_by_test_id("suggested-question")
    expect(suggestions.first).to_be_visible()
    assert 2 <= suggestions.count() <= 3
    # Focus is on the first suggestion: Enter asks it.
    expect(suggestions.first).to_be_focused(timeout=UI_TIMEOUT_MS)
    screenshot(page, "portal-declined")
    question = suggestions.first.inner_text()
    page.keyboard.press("Enter")
    follow_up = page.get_by_test_id("run").nth(1)
    expect(follow_up).to_contain_text(question, timeout=UI_TIMEOUT_MS)
    expect_complete(follow_up)


def test_a_question_back_is_asked_once_with_its_readings_as_buttons(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    run = ask(page, "Show sales by name")
    clarify = run.get_by_test_id("run-clarify")
    expect(clarify).to_be_visible()
    question = clarify.locator("p").first.inner_text()
    assert run.inner_text().count(question) == 1, run.inner_text()
    options = run.get_by_test_id("clarify-option")
    expect(options.first).to_be_focused(timeout=UI_TIMEOUT_MS)
    screenshot(page, "portal-clarify")
    picked = options.nth(1).inner_text()
    options.nth(1).click()
    follow_up = page.get_by_test_id("run").nth(1)
    expect(follow_up).to_contain_text(picked, timeout=UI_TIMEOUT_MS)
    expect_complete(follow_up)


def test_the_prompt_box_counts_characters_against_the_servers_limit(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    box = page.get_by_test_id("prompt-input")
    counter = page.get_by_test_id("prompt-counter")
    box.fill("Show total sales by region")
    expect(counter).to_have_text("26 / 4,000")

    box.fill("x" * 4003)
    expect(counter).to_contain_text("3 characters too long")
    expect(counter).to_contain_text("at most 4,000")
    expect(page.get_by_test_id("send-button")).to_be_disabled()
    box.press("Enter")
    expect(page.get_by_test_id("run")).to_have_count(0)

    # Back under the limit, it sends.
    box.fill("y" * 3990 + " by region")
    expect(counter).to_have_text("4,000 / 4,000")
    box.press("Enter")
    expect(page.get_by_test_id("run")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("run").first).not_to_have_attribute(
        "data-status", "streaming", timeout=RUN_TIMEOUT_MS
    )
    assert "not valid" not in page.get_by_test_id("run").first.inner_text()

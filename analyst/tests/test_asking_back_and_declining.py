"""Never silently wrong: a word that names two columns, or two dates a question could use, is
asked back with options that each read one way; a word found nowhere is offered without it or
declined; destructive and out-of-scope requests are declined; a decline says what was understood
and offers questions this catalog answers."""

from __future__ import annotations

import pytest

from analyst import replies
from analyst.core import Analyst, Answer
from analyst.intent import Clarify, Decline


def test_a_word_naming_two_columns_is_asked_back(analyst: Analyst) -> None:
    plan = analyst.plan("number of loans by name")
    assert isinstance(plan, Clarify)
    assert "name" in plan.question
    assert len(plan.options) == 2
    answered = [analyst.plan(option) for option in plan.options]
    assert all(isinstance(a, Answer) for a in answered)
    grouped = {a.intent.dimensions[0].name for a in answered if isinstance(a, Answer)}
    assert grouped == {"member_name", "author_name"}


def test_two_dates_a_question_could_use_are_asked_back(analyst: Analyst) -> None:
    plan = analyst.plan("number of loans per month")
    assert isinstance(plan, Clarify)
    assert len(plan.options) == 2
    dates = set()
    for option in plan.options:
        answer = analyst.plan(option)
        assert isinstance(answer, Answer), option
        assert answer.query.time_col is not None
        dates.add(answer.query.time_col.name)
    assert dates == {"loaned_on", "returned_on"}


def test_a_word_found_nowhere_is_never_ignored(analyst: Analyst, lookups: list[str]) -> None:
    plan = analyst.plan("total fee by genre for paperbacks")
    assert isinstance(plan, Clarify | Decline)
    assert lookups, "the word was looked for in the data first"
    if isinstance(plan, Clarify):
        assert plan.options == ("Total fee by genre for",) or all(
            "paperbacks" not in o for o in plan.options
        )


@pytest.mark.parametrize(
    "request_text",
    ["delete all loans", "DROP TABLE members", "update books set price = 0", "truncate the visits"],
)
def test_destructive_requests_are_declined(analyst: Analyst, request_text: str) -> None:
    plan = analyst.plan(request_text)
    assert isinstance(plan, Decline) and plan.reason == "destructive"
    assert "only reads data" in analyst.decline_text(plan)


def test_a_decline_offers_questions_this_catalog_answers(analyst: Analyst) -> None:
    plan = analyst.plan("tell me something interesting")
    assert isinstance(plan, Decline)
    suggestions = replies.suggestions_for(plan, analyst.suggestions())
    assert 2 <= len(suggestions) <= 3
    assert all(isinstance(analyst.plan(s), Answer) for s in suggestions)
    assert "VIZORCH_LLM" not in analyst.decline_text(plan)


def test_unsupported_shapes_are_declined_not_approximated(analyst: Analyst) -> None:
    plan = analyst.plan("median fee by genre")
    assert isinstance(plan, Decline) and plan.reason == "unsupported"

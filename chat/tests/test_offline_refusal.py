"""Destructive and out-of-scope requests are declined by the offline model with a clear message
and no tool call, so nothing runs; chart edits that use the same verbs are not refused; what it
cannot read is declined with questions it can answer on this catalog."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from analyst.core import Analyst
from analyst.intent import Decline
from analyst.replies import DECLINE_PREFIX
from chat.agent.fences import FenceParser
from chat.agent.offline_model import OfflineAnalystModel
from chat.agent.runner import strip_fences
from executors.catalog.model import SemanticCatalog

# The demo database and catalog fixtures.
pytest_plugins = ("chat.tests.offline_demo",)


@pytest.fixture
def model(demo_catalog: SemanticCatalog) -> OfflineAnalystModel:
    return OfflineAnalystModel(catalog=demo_catalog)


def reply_to(model: OfflineAnalystModel, question: str) -> AIMessage:
    return model.invoke([SystemMessage("analyst"), HumanMessage(question)])


@pytest.mark.parametrize(
    "question",
    [
        "delete all orders",
        "DROP TABLE customers",
        "drop table customers;",
        "truncate the orders table",
        "update customers set segment = 'VIP'",
        "please remove all customers",
        "insert into orders values (1)",
        "wipe the database",
    ],
)
def test_destructive_requests_run_nothing(model: OfflineAnalystModel, question: str) -> None:
    reply = reply_to(model, question)
    assert reply.tool_calls == []
    text = str(reply.content)
    assert text.startswith(f"{DECLINE_PREFIX}: Vizorch only reads data")
    assert "```" not in text


@pytest.mark.parametrize(
    ("question", "what"),
    [
        ("email this to my boss", "sending email"),
        ("send the chart to the team on slack", "sending messages"),
        ("forecast sales for 2025", "forecasting"),
        ("why did sales drop in 2022?", "explaining causes"),
    ],
)
def test_out_of_scope_requests_are_declined_plainly(
    model: OfflineAnalystModel, question: str, what: str
) -> None:
    reply = reply_to(model, question)
    assert reply.tool_calls == []
    assert str(reply.content).startswith(f"{DECLINE_PREFIX}: {what}")


def test_questions_it_cannot_read_are_declined_with_questions_it_can_answer(
    model: OfflineAnalystModel, demo_catalog: SemanticCatalog
) -> None:
    reply = reply_to(model, "tell me something interesting")
    assert reply.tool_calls == []
    parser = FenceParser()
    parser.feed(str(reply.content))
    parser.close()
    text = strip_fences(parser.result.text)
    # In the analyst's words: nothing about configuring the server.
    assert text.startswith(DECLINE_PREFIX) and "VIZORCH_LLM" not in text
    offered = parser.result.suggestions
    assert 2 <= len(offered) <= 3
    # The questions travel beside the text (the portal shows them as buttons), not inside it.
    assert not any(question in text for question in offered)
    analyst = Analyst(demo_catalog)
    for question in offered:
        assert not isinstance(analyst.plan(question), Decline), question


@pytest.mark.parametrize("follow_up", ["remove the labels", "drop the filters", "hide labels"])
def test_chart_edits_with_strong_verbs_are_not_refused(
    model: OfflineAnalystModel, follow_up: str
) -> None:
    first = reply_to(model, "sales by category in Europe")
    assert first.tool_calls
    reply = model.invoke(
        [
            SystemMessage("analyst"),
            HumanMessage("sales by category in Europe"),
            AIMessage(content="```sql\nSELECT 1\n```"),
            HumanMessage(follow_up),
        ]
    )
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "run_sql"


def test_a_declined_question_is_not_refined_by_the_next_one(
    model: OfflineAnalystModel,
) -> None:
    reply = model.invoke(
        [
            SystemMessage("analyst"),
            HumanMessage("delete all orders"),
            AIMessage(content=f"{DECLINE_PREFIX}: Vizorch only reads data."),
            HumanMessage("only 2023"),
        ]
    )
    assert reply.tool_calls == []

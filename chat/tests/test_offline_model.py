"""The offline model as the chat runner drives it: reasoning then a real `run_sql` tool call, then
after the tool result a final message in the agent message protocol; follow-ups replayed the way
the runner replays them; values the catalog does not list are looked up in the data on the
analyst's own path, never as a tool call; a question that reads two ways is asked back."""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool

from analyst.replies import DECLINE_PREFIX
from chat.agent.fences import FenceParser
from chat.agent.offline_model import OfflineAnalystModel
from executors.catalog.model import SemanticCatalog

# The demo database and catalog fixtures.
pytest_plugins = ("chat.tests.offline_demo",)


@tool
def run_sql(sql: str, engine: str | None = None) -> str:
    """Run one read-only SQL statement and return the result summary as JSON."""
    raise AssertionError("the test executes SQL itself")


@tool
def list_tables() -> str:
    """List the tables with their columns."""
    raise AssertionError("not called by the offline model")


def run_sql_tool(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The `run_sql` tool's answer, as docs/artifact.md shapes it."""
    try:
        rel = con.sql(sql)
        rows = rel.fetchall()
    except duckdb.Error as exc:
        return f"ERROR: {exc}"
    return json.dumps(
        {
            "result_id": "test",
            "row_count": len(rows),
            "truncated": False,
            "columns": [
                {"name": n, "type": str(t)} for n, t in zip(rel.columns, rel.types, strict=True)
            ],
            "preview": [[str(v) if v is not None else None for v in r] for r in rows[:20]],
        }
    )


FENCES = re.compile(r"```(\w+)([^\n]*)\n(.*?)```", re.S)


@pytest.fixture
def model(demo_catalog: SemanticCatalog, demo_con: duckdb.DuckDBPyConnection) -> Any:
    return OfflineAnalystModel(
        catalog=demo_catalog, lookup=lambda sql: demo_con.execute(sql).fetchall()
    ).bind_tools([list_tables, run_sql])


def run(model: Any, con: duckdb.DuckDBPyConnection, messages: list[BaseMessage]) -> AIMessage:
    """One runner turn: model, tools until it stops calling them; returns the final message."""
    messages = list(messages)
    for _ in range(4):
        reply = model.invoke(messages)
        if not reply.tool_calls:
            return reply
        call = reply.tool_calls[0]
        assert call["name"] == "run_sql"
        messages += [
            reply,
            ToolMessage(run_sql_tool(con, call["args"]["sql"]), tool_call_id=call["id"]),
        ]
    raise AssertionError("the model kept calling tools")


def fences(text: str) -> dict[str, str]:
    return {(lang + extra).strip(): body for lang, extra, body in FENCES.findall(text)}


def start(question: str) -> list[BaseMessage]:
    return [SystemMessage("You are Vizorch's analyst."), HumanMessage(question)]


def test_streams_reasoning_then_a_run_sql_tool_call(
    model: Any, demo_con: duckdb.DuckDBPyConnection
) -> None:
    chunks = list(model.stream(start("Show total sales by region")))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    # LangChain closes a stream with an empty marker chunk; look at the ones that carry something.
    chunks = [c for c in chunks if c.content or c.tool_call_chunks]
    text_chunks = [c for c in chunks if c.content]
    # The reasoning comes before the tool call, in a few pieces (the model has it whole).
    assert text_chunks and chunks.index(text_chunks[-1]) < len(chunks) - 1
    assert "SUM(order_items.sales)" in "".join(str(c.content) for c in text_chunks)
    assert "stores.region" in "".join(str(c.content) for c in text_chunks)
    last = chunks[-1]
    assert last.tool_call_chunks and last.tool_call_chunks[0]["name"] == "run_sql"
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c
    [call] = merged.tool_calls
    assert call["name"] == "run_sql" and call["id"]
    sql = call["args"]["sql"]
    assert "SUM(order_items.sales)" in sql and "GROUP BY 1" in sql
    assert len(demo_con.sql(sql).fetchall()) == 5


def test_final_message_obeys_the_protocol(model: Any, demo_con: duckdb.DuckDBPyConnection) -> None:
    final = run(model, demo_con, start("Monthly sales in 2023"))
    assert not final.tool_calls
    text = str(final.content)
    blocks = fences(text)
    assert set(blocks) == {"sql", "tsx", "json params"}
    assert text.index("```sql") < text.index("```tsx") < text.index("```json params")
    reasoning = text[: text.index("```sql")].strip()
    assert reasoning.startswith("The query returned 12 rows.")
    assert "year(orders.order_date) = 2023" in blocks["sql"]
    assert "export default function Viz({ data, params }" in blocks["tsx"]
    assert 'const SPEC: Spec = {"chartType": "line", "x": "month"' in blocks["tsx"]
    imports = re.findall(r'from "([^"]+)"', blocks["tsx"])
    assert set(imports) <= {"react", "recharts", "@vizorch/kit"}
    params = json.loads(blocks["json params"])
    assert params["values"]["chart_type"] == "line"
    assert params["values"]["title"] == "Monthly Sales in 2023"
    assert params["values"]["color_scheme"] == "default"
    assert {c["name"] for c in params["controls"]} >= {"title", "chart_type", "color_scheme"}


def test_streamed_final_message_equals_the_invoked_one(
    model: Any, demo_con: duckdb.DuckDBPyConnection
) -> None:
    messages = start("Top 5 stores by profit")
    first = model.invoke(messages)
    call = first.tool_calls[0]
    messages += [
        first,
        ToolMessage(run_sql_tool(demo_con, call["args"]["sql"]), tool_call_id=call["id"]),
    ]
    streamed = "".join(str(c.content) for c in model.stream(messages))
    assert streamed == model.invoke(messages).content


def test_follow_ups_refine_the_previous_answer(
    model: Any, demo_con: duckdb.DuckDBPyConnection
) -> None:
    history: list[BaseMessage] = start("Show total sales by region")
    first = run(model, demo_con, history)
    history += [AIMessage(content=first.content), HumanMessage("as a line chart")]
    second = run(model, demo_con, history)
    assert fences(str(second.content))["sql"] == fences(str(first.content))["sql"]
    assert json.loads(fences(str(second.content))["json params"])["values"]["chart_type"] == "line"
    history += [AIMessage(content=second.content), HumanMessage("only 2023")]
    third = run(model, demo_con, history)
    sql = fences(str(third.content))["sql"]
    assert "year(orders.order_date) = 2023" in sql and "stores.region" in sql
    assert json.loads(fences(str(third.content))["json params"])["values"]["chart_type"] == "line"
    assert len(demo_con.sql(sql).fetchall()) == 5


def test_a_value_missing_from_the_samples_is_looked_up_without_a_tool_call(
    demo_con: duckdb.DuckDBPyConnection, demo_catalog: SemanticCatalog
) -> None:
    trimmed = demo_catalog.model_copy(deep=True)
    stores = trimmed.table("stores")
    assert stores is not None
    for column in stores.columns:
        if column.name == "city":
            column.sample_values = column.sample_values[:2]
    looked_up: list[str] = []

    def lookup(sql: str) -> list[tuple[Any, ...]]:
        looked_up.append(sql)
        return demo_con.execute(sql).fetchall()

    model = OfflineAnalystModel(catalog=trimmed, lookup=lookup).bind_tools([run_sql])
    messages = start("Revenue by store in Paris")
    first = model.invoke(messages)
    # The one tool call is the answer's query: the look-up ran on the analyst's own path.
    [call] = first.tool_calls
    assert "stores.city = 'Paris'" in call["args"]["sql"] and looked_up
    final = run(model, demo_con, messages)
    sql = fences(str(final.content))["sql"]
    stores_found = [r[0] for r in demo_con.sql(sql).fetchall()]
    assert stores_found and all(name.startswith("Paris") for name in stores_found)
    # The next run keeps Paris (looked up again, or from the analyst's memory of it).
    follow = run(
        model, demo_con, [*messages, AIMessage(content=final.content), HumanMessage("top 1")]
    )
    assert "stores.city = 'Paris'" in fences(str(follow.content))["sql"]


def test_a_word_found_nowhere_is_not_answered(
    model: Any, demo_con: duckdb.DuckDBPyConnection
) -> None:
    final = run(model, demo_con, start("sales by weather"))
    assert final.tool_calls == []
    assert "```sql" not in str(final.content) and "```tsx" not in str(final.content)


def test_a_question_that_reads_two_ways_is_asked_back(model: Any) -> None:
    reply = model.invoke(start("sales by name"))
    assert reply.tool_calls == []
    parser = FenceParser()
    parser.feed(str(reply.content))
    parser.close()
    asked = parser.result.clarify
    assert asked is not None and asked["question"].startswith("Which column")
    assert len(asked["options"]) >= 2


def test_a_failed_query_is_reported_not_repaired_by_guessing(model: Any) -> None:
    messages = start("Show total sales by region")
    first = model.invoke(messages)
    call = first.tool_calls[0]
    messages += [first, ToolMessage("ERROR: engine is down", tool_call_id=call["id"])]
    reply = model.invoke(messages)
    assert not reply.tool_calls
    assert str(reply.content).startswith(DECLINE_PREFIX) and "engine is down" in str(reply.content)


def test_tpch_tables_beside_the_demo_do_not_change_the_answers(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from chat.management.commands.eval_agent import load_catalog
    from executors.demo_data import ensure_demo_database, load_tpch

    path = tmp_path_factory.mktemp("with-tpch") / "demo.duckdb"
    ensure_demo_database(path, 0.02)
    load_tpch(path, 0.001)
    catalog = load_catalog(path)
    assert any(t.name == "tpch.part" for t in catalog.tables)
    con = duckdb.connect(str(path), read_only=True)
    try:
        model = OfflineAnalystModel(catalog=catalog).bind_tools([run_sql])
        final = run(model, con, start("Revenue by store in Paris"))
        sql = fences(str(final.content))["sql"]
        assert "FROM order_items" in sql and "stores.city = 'Paris'" in sql
        top = run(model, con, start("Top 5 stores by profit"))
        assert "JOIN stores" in fences(str(top.content))["sql"]
    finally:
        con.close()

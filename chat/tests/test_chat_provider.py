"""The `openai-compatible:` provider through the real langchain-openai client, against a scripted
chat-completions server on loopback; and how failures at each stage reach the stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from chat.tests.contract import ANSWER_SEQUENCE, assert_contract, sequence_text
from chat.tests.scripted_llm import COMPONENT, PARAMS, REFUSED_SQL, SALES_SQL, ScriptedLLM
from chat.tests.sse import TIMEOUT, ask, client_for, code_of, names
from vizorch_site.testing import LiveServer


@pytest.fixture(scope="module")
def analyst(scripted_server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(scripted_server, "analyst") as client:
        yield client


def errors_of(events: list) -> list[dict]:
    return [e.data for e in events if e.event == "error"]


def test_openai_compatible_model_produces_the_event_contract(
    analyst: httpx.Client, scripted_llm: ScriptedLLM
) -> None:
    events = ask(analyst, "[plain] Show total sales by region")
    assert ANSWER_SEQUENCE.fullmatch(sequence_text(events)), sequence_text(events)
    assert_contract(events)
    assert code_of(events) == COMPONENT
    (sql,) = [e.data for e in events if e.event == "sql"]
    assert sql == {"type": "sql", "engine": "local", "sql": SALES_SQL}
    (params,) = [e.data for e in events if e.event == "params"]
    assert params["values"] == PARAMS["values"]
    assert params["controls"] == PARAMS["controls"]
    assert events[-1].data == {"type": "complete", "code_complete": True, "data_ready": True}

    first, second = scripted_llm.requests_with("[plain]")
    assert first["stream"] is True
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert {"list_tables", "describe_table", "run_sql"} <= set(tools)
    assert set(tools["run_sql"]["parameters"]["properties"]) == {"sql", "engine"}
    assert "export default function Viz" in first["messages"][0]["content"]
    (tool_message,) = [m for m in second["messages"] if m["role"] == "tool"]
    result = json.loads(tool_message["content"])
    data_url = next(e.data["url"] for e in events if e.event == "data")
    assert data_url == f"/api/data/{result['result_id']}"
    assert [c["name"] for c in result["columns"]] == ["region", "total_sales"]
    assert len(result["preview"]) == result["row_count"] > 0


def test_follow_up_sends_the_earlier_answer_with_its_sql(
    analyst: httpx.Client, scripted_llm: ScriptedLLM
) -> None:
    first = ask(analyst, "[history-1] Show total sales by region")
    conversation_id = first[0].data["conversation_id"]
    second = ask(analyst, "[history-2] only the top 3", conversation_id=conversation_id)
    assert second[-1].data["code_complete"] is True
    request = scripted_llm.requests_with("[history-2]")[0]
    roles = [m["role"] for m in request["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    earlier = request["messages"][2]["content"]
    assert f"```sql\n{SALES_SQL}\n```" in earlier


def test_provider_failure_is_a_code_generation_error(analyst: httpx.Client) -> None:
    events = ask(analyst, "[provider-error] Show total sales by region")
    assert_contract(events)
    (error,) = errors_of(events)
    assert error["stage"] == "code_generation"
    assert "language model failed" in error["message"]
    assert events[-1].data == {"type": "complete", "code_complete": False, "data_ready": False}


def test_refused_sql_is_an_sql_execution_error_after_two_repairs(
    analyst: httpx.Client, scripted_llm: ScriptedLLM
) -> None:
    events = ask(analyst, "[refuse] Delete the old orders")
    assert_contract(events)
    assert [e.data["sql"] for e in events if e.event == "sql"] == [REFUSED_SQL] * 3
    assert "data" not in names(events)
    (error,) = errors_of(events)
    assert error["stage"] == "sql_execution"
    assert "read-only" in error["message"]
    assert not error["message"].startswith("ERROR")
    # The model saw each refusal and had two chances to repair.
    requests = scripted_llm.requests_with("[refuse]")
    assert len(requests) == 3
    last_tool = [m for m in requests[-1]["messages"] if m["role"] == "tool"]
    assert all(m["content"].startswith("ERROR: ") for m in last_tool)


def test_failed_sql_goes_back_to_the_model_for_repair(
    analyst: httpx.Client, scripted_llm: ScriptedLLM
) -> None:
    events = ask(analyst, "[repair] Show total sales by region")
    assert_contract(events)
    assert errors_of(events) == []
    assert len([e for e in events if e.event == "sql"]) == 2
    assert len([e for e in events if e.event == "data"]) == 1
    assert events[-1].data["code_complete"] is True
    tool_results = [
        m["content"]
        for m in scripted_llm.requests_with("[repair]")[1]["messages"]
        if m["role"] == "tool"
    ]
    assert tool_results[0].startswith("ERROR: ") and "regionx" in tool_results[0]


def test_unreachable_engine_is_a_data_fetch_error(analyst: httpx.Client) -> None:
    events = ask(analyst, "[remote] Show total sales by region")
    assert_contract(events)
    (error,) = errors_of(events)
    assert error["stage"] == "data_fetch"
    assert "remote" in error["message"]
    assert events[-1].data["data_ready"] is False


def test_chosen_engine_down_is_a_data_fetch_error(analyst: httpx.Client) -> None:
    events = ask(analyst, "Show total sales by region", engine="remote")
    assert_contract(events)
    (error,) = errors_of(events)
    assert error["stage"] == "data_fetch"


def test_model_that_declines_is_a_code_generation_error(analyst: httpx.Client) -> None:
    events = ask(analyst, "[decline] What's the weather?")
    assert_contract(events)
    (error,) = errors_of(events)
    assert error["stage"] == "code_generation"
    assert error["code"] == "declined"
    assert error["message"] == "I can only chart sales data; the weather is not in it."


def test_idle_stream_gets_heartbeat_comments(scripted_server: LiveServer) -> None:
    token = scripted_server.api_token("analyst")
    lines: list[str] = []
    with (
        httpx.Client(base_url=scripted_server.url, timeout=TIMEOUT) as client,
        client.stream(
            "POST",
            "/api/chat",
            json={"prompt": "[pause] Show total sales by region"},
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("event: done"):
                break
    heartbeats = [i for i, line in enumerate(lines) if line == ": heartbeat"]
    assert heartbeats
    # The model paused after the data was ready, so the heartbeat came while waiting for code.
    assert lines.index("event: data") < heartbeats[0] < lines.index("event: code")

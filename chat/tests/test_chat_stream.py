"""The chat stream on the embedded defaults (offline model, in-memory layer, embedded worker)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from chat.tests.contract import ANSWER_SEQUENCE, assert_contract, sequence_text
from chat.tests.sse import TIMEOUT, ask, client_for, code_of, collect, names, squash
from vizorch_site.testing import LiveServer

QUESTION = "Show total sales by region"


@pytest.fixture(scope="module")
def analyst(live_server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(live_server, "analyst") as client:
        yield client


@pytest.fixture(scope="module")
def answered(analyst: httpx.Client) -> list:
    return ask(analyst, QUESTION)


def test_sales_by_region_streams_run_thought_sql_data_code_params_done(answered: list) -> None:
    assert ANSWER_SEQUENCE.fullmatch(sequence_text(answered)), sequence_text(answered)
    assert answered[0].seq == 1
    assert answered[-1].data == {"type": "complete", "code_complete": True, "data_ready": True}


def test_every_payload_has_the_spec_shape(answered: list) -> None:
    assert_contract(answered)


def test_code_chunks_concatenate_to_a_viz_module(answered: list, analyst: httpx.Client) -> None:
    code = code_of(answered)
    assert "export default function Viz" in code
    # The offline model has its component whole: it comes in a handful of large chunks.
    assert 1 < len([e for e in answered if e.event == "code"]) <= 6
    run = analyst.get(f"/api/runs/{answered[0].data['run_id']}").json()
    assert run["ui_code"] == code
    assert run["status"] == "succeeded"


def test_sql_event_names_the_engine_and_the_statement(answered: list) -> None:
    (sql,) = [e for e in answered if e.event == "sql"]
    assert sql.data["engine"] == "local"
    assert "region" in sql.data["sql"].lower()


def test_conversation_history_has_the_run(answered: list, analyst: httpx.Client) -> None:
    conversation_id = answered[0].data["conversation_id"]
    listing = analyst.get("/api/conversations")
    assert listing.status_code == 200
    assert conversation_id in [c["id"] for c in listing.json()]
    detail = analyst.get(f"/api/conversations/{conversation_id}").json()
    (run,) = detail["runs"]
    data_url = next(e.data["url"] for e in answered if e.event == "data")
    assert run["prompt"] == QUESTION
    assert "region" in run["generated_sql"].lower()
    assert run["ui_code"] == code_of(answered)
    assert run["parameters"] == {
        k: v
        for k, v in next(e.data for e in answered if e.event == "params").items()
        if k != "type"
    }
    assert data_url == f"/api/data/{run['result_id']}" == run["data_url"]


def test_follow_up_refines_the_previous_chart(answered: list, analyst: httpx.Client) -> None:
    conversation_id = answered[0].data["conversation_id"]
    events = ask(analyst, "make it a line chart", conversation_id=conversation_id)
    assert_contract(events)
    assert events[0].data["conversation_id"] == conversation_id
    assert "error" not in names(events)
    params = next(e.data for e in events if e.event == "params")
    assert params["values"]["chart_type"] == "line"
    assert "data" in names(events)
    detail = analyst.get(f"/api/conversations/{conversation_id}").json()
    assert [r["prompt"] for r in detail["runs"]] == [QUESTION, "make it a line chart"]


def test_finished_run_replays_in_full_and_after_last_event_id(
    answered: list, analyst: httpx.Client
) -> None:
    run_id = answered[0].data["run_id"]
    replay = collect(analyst, "GET", f"/api/runs/{run_id}/events")
    assert replay == answered
    tail = collect(
        analyst,
        "GET",
        f"/api/runs/{run_id}/events",
        headers={"Last-Event-ID": answered[4].id},
    )
    assert tail == answered[5:]


def test_generate_ui_streams_a_component_for_existing_data(
    answered: list, analyst: httpx.Client
) -> None:
    result_id = next(e.data["url"] for e in answered if e.event == "data").rsplit("/", 1)[1]
    params = next(e.data for e in answered if e.event == "params")
    events = collect(
        analyst,
        "POST",
        "/api/generate-ui",
        json={
            "prompt": "make it a pie chart",
            "result_id": result_id,
            "current_code": code_of(answered),
            "params": {"values": params["values"], "controls": params["controls"]},
        },
    )
    assert_contract(events)
    assert squash(names(events)) in (
        ["run", "thought", "code", "params", "done"],
        ["run", "code", "params", "done"],
    ), names(events)
    assert "export default function Viz" in code_of(events)
    assert events[-1].data["code_complete"] is True


def test_generate_ui_needs_data_the_user_may_read(live_server: LiveServer, answered: list) -> None:
    result_id = next(e.data["url"] for e in answered if e.event == "data").rsplit("/", 1)[1]
    with client_for(live_server, "curator") as other:
        response = other.post(
            "/api/generate-ui", json={"prompt": "make it a pie chart", "result_id": result_id}
        )
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such result."}


def test_render_error_feedback_gets_one_repair(analyst: httpx.Client) -> None:
    first = ask(analyst, QUESTION)
    run_id = first[0].data["run_id"]
    body = {"render_error": "ReferenceError: Foo is not defined"}
    repair = collect(analyst, "POST", f"/api/runs/{run_id}/feedback", json=body)
    assert_contract(repair)
    assert "export default function Viz" in code_of(repair)
    repair_run = analyst.get(f"/api/runs/{repair[0].data['run_id']}").json()
    assert repair_run["kind"] == "repair"
    assert repair_run["source_run_id"] == run_id
    assert repair_run["result_id"]
    again = analyst.post(f"/api/runs/{run_id}/feedback", json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "repair_refused"


def test_offline_decline_is_a_code_generation_error(analyst: httpx.Client) -> None:
    events = ask(analyst, "What will the weather be like on Mars tomorrow?")
    assert_contract(events)
    (error,) = [e for e in events if e.event == "error"]
    assert error.data["stage"] == "code_generation"
    assert error.data["code"] == "declined"
    assert error.data["message"].startswith("I can't answer that")
    assert "VIZORCH_LLM" not in error.data["message"]
    # The questions it can answer come beside the reason, for the portal's buttons.
    assert 1 <= len(error.data["suggestions"]) <= 6
    assert events[-1].data["code_complete"] is False


def test_unknown_engine_is_refused_before_a_run_starts(analyst: httpx.Client) -> None:
    response = analyst.post("/api/chat", json={"prompt": QUESTION, "engine": "nowhere"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_engine"


def test_a_chat_can_start_from_a_saved_template(answered: list, analyst: httpx.Client) -> None:
    created = analyst.post(
        "/api/templates", json={"run_id": answered[0].data["run_id"], "title": "Sales by region"}
    )
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["ui_code"] == code_of(answered)
    events = ask(analyst, "make it a line chart", template_id=template["id"])
    assert_contract(events)
    assert "error" not in names(events)
    conversation = analyst.get(f"/api/conversations/{events[0].data['conversation_id']}").json()
    assert conversation["template_id"] == template["id"]


def test_session_users_stream_with_their_csrf_token(live_server: LiveServer) -> None:
    with httpx.Client(timeout=TIMEOUT) as browser:
        live_server.login(browser, "analyst")
        events = collect(browser, "POST", f"{live_server.url}/api/chat", json={"prompt": QUESTION})
    assert events[-1].event == "done"


def test_anonymous_readers_get_401(live_server: LiveServer, answered: list) -> None:
    run_id = answered[0].data["run_id"]
    conversation_id = answered[0].data["conversation_id"]
    with httpx.Client(base_url=live_server.url, timeout=TIMEOUT) as anonymous:
        for method, url in [
            ("GET", "/api/conversations"),
            ("GET", f"/api/conversations/{conversation_id}"),
            ("GET", f"/api/runs/{run_id}"),
            ("GET", f"/api/runs/{run_id}/events"),
        ]:
            response = anonymous.request(method, url)
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json()["code"] == "unauthenticated", (method, url)


def test_other_users_runs_and_conversations_are_404(
    live_server: LiveServer, answered: list
) -> None:
    run_id = answered[0].data["run_id"]
    conversation_id = answered[0].data["conversation_id"]
    with client_for(live_server, "curator") as other:
        for method, url, body in [
            ("GET", f"/api/conversations/{conversation_id}", None),
            ("GET", f"/api/runs/{run_id}", None),
            ("GET", f"/api/runs/{run_id}/events", None),
            ("POST", f"/api/runs/{run_id}/cancel", None),
            ("POST", f"/api/runs/{run_id}/feedback", {"render_error": "boom"}),
            ("POST", "/api/chat", {"prompt": QUESTION, "conversation_id": conversation_id}),
        ]:
            response = other.request(method, url, json=body)
            assert response.status_code == 404, (method, url, response.status_code)
            assert response.json()["code"] == "not_found", (method, url)
        assert conversation_id not in [c["id"] for c in other.get("/api/conversations").json()]


def test_viewers_cannot_start_runs(live_server: LiveServer, answered: list) -> None:
    result_id = next(e.data["url"] for e in answered if e.event == "data").rsplit("/", 1)[1]
    with client_for(live_server, "viewer") as viewer:
        for url, body in [
            ("/api/chat", {"prompt": QUESTION}),
            ("/api/generate-ui", {"prompt": "make it a pie chart", "result_id": result_id}),
        ]:
            response = viewer.post(url, json=body)
            assert response.status_code == 403, (url, response.status_code)
            assert response.json()["code"] == "forbidden"
        assert viewer.get("/api/conversations").json() == []

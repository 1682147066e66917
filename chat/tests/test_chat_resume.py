"""Runs outlive their streams: resume with Last-Event-ID, cancel, and cancellation of runs nobody
listens to, on the in-memory layer (embedded worker) and on Redis (separate runworker)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx

from chat.tests.contract import assert_contract
from chat.tests.sse import Event, client_for, collect, iter_events, names, open_stream
from vizorch_site.testing import LiveServer

# A bound for waiting on the server, not a measured duration: tests fail, not hang, past it.
PATIENCE_S = 90.0


def read_until(events: Iterator[Event], predicate: Callable[[Event], bool]) -> list[Event]:
    out = []
    for event in events:
        out.append(event)
        if predicate(event):
            break
    return out


def is_code(event: Event) -> bool:
    return event.event == "code"


def wait_for_status(client: httpx.Client, run_id: str, wanted: set[str]) -> dict:
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in wanted:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not reach {wanted}: {run}")


def test_resume_with_last_event_id_loses_and_repeats_nothing(
    any_layer_server: LiveServer,
) -> None:
    with client_for(any_layer_server) as client:
        with open_stream(
            client, "POST", "/api/chat", json={"prompt": "[slow] Show total sales by region"}
        ) as source:
            first = read_until(iter_events(source), is_code)
        # The connection is gone mid-run; the run goes on.
        run_id = first[0].data["run_id"]
        second = collect(
            client, "GET", f"/api/runs/{run_id}/events", headers={"Last-Event-ID": first[-1].id}
        )
        assert second and second[0].seq == first[-1].seq + 1
        both = first + second
        assert_contract(both)
        assert both == collect(client, "GET", f"/api/runs/{run_id}/events")
        assert both[-1].data == {"type": "complete", "code_complete": True, "data_ready": True}
        assert client.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"


def test_cancel_ends_the_stream_with_error_and_done(any_layer_server: LiveServer) -> None:
    with client_for(any_layer_server) as client:
        with open_stream(
            client, "POST", "/api/chat", json={"prompt": "[hang] Show total sales by region"}
        ) as source:
            stream = iter_events(source)
            events = read_until(stream, is_code)
            run_id = events[0].data["run_id"]
            response = client.post(f"/api/runs/{run_id}/cancel")
            assert response.status_code == 202
            events += list(stream)
        assert_contract(events)
        assert names(events)[-2:] == ["error", "done"]
        assert events[-2].data["message"] == "The run was cancelled."
        assert events[-1].data["code_complete"] is False
        assert events[-1].data["data_ready"] is True
        run = wait_for_status(client, run_id, {"cancelled", "succeeded", "failed"})
        assert run["status"] == "cancelled"
        assert run["error"]["message"] == "The run was cancelled."


def test_run_nobody_listens_to_is_cancelled(any_layer_server: LiveServer) -> None:
    with client_for(any_layer_server) as client:
        with open_stream(
            client, "POST", "/api/chat", json={"prompt": "[hang] Show total sales by region"}
        ) as source:
            events = read_until(iter_events(source), is_code)
        run_id = events[0].data["run_id"]
        run = wait_for_status(client, run_id, {"cancelled", "succeeded", "failed"})
        assert run["status"] == "cancelled"
        replay = collect(client, "GET", f"/api/runs/{run_id}/events")
        assert_contract(replay)
        assert replay[: len(events)] == events
        assert names(replay)[-2:] == ["error", "done"]
        assert "nobody was listening" in replay[-2].data["message"]


def test_a_stream_resumed_at_or_past_its_end_closes(live_server: LiveServer) -> None:
    # A read timeout well under the heartbeat interval: a stream that idles instead of closing
    # fails here instead of hanging.
    with client_for(live_server) as client:
        events = collect(client, "POST", "/api/chat", json={"prompt": "Show total sales by region"})
        run_id, done = events[0].data["run_id"], events[-1]
        assert done.event == "done"
        client.timeout = httpx.Timeout(10.0, connect=10.0)
        for seen in (done.seq, done.seq + 5, 10**6):
            resumed = collect(
                client,
                "GET",
                f"/api/runs/{run_id}/events",
                headers={"Last-Event-ID": f"{run_id}:{seen}"},
            )
            assert resumed == [], seen
        # From just before the end, the end is what is left.
        last = collect(
            client,
            "GET",
            f"/api/runs/{run_id}/events",
            headers={"Last-Event-ID": f"{run_id}:{done.seq - 1}"},
        )
        assert last == [done]

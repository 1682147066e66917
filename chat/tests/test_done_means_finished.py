"""A client that acts on `done` finds the run finished: saving it as a template and sending
render feedback right after `done` always work. Repeated, because the race this guards against
(the run's final state committed after `done` left) showed up once in a few runs under load."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from chat.tests.contract import assert_contract
from chat.tests.sse import ask, client_for, code_of, collect
from vizorch_site.testing import LiveServer

ROUNDS = 20


@pytest.fixture(scope="module")
def analyst(live_server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(live_server, "analyst") as client:
        yield client


def test_save_and_feedback_right_after_done_work_every_time(analyst: httpx.Client) -> None:
    body = {"render_error": "ReferenceError: Foo is not defined"}
    for round_number in range(ROUNDS):
        events = ask(analyst, "Show total sales by region")
        assert events[-1].data["code_complete"] is True, round_number
        run_id = events[0].data["run_id"]
        saved = analyst.post("/api/templates", json={"run_id": run_id, "title": "Sales"})
        assert saved.status_code == 201, (round_number, saved.text)
        repair = collect(analyst, "POST", f"/api/runs/{run_id}/feedback", json=body)
        assert_contract(repair)
        assert "export default function Viz" in code_of(repair), round_number

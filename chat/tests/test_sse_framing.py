"""SSE framing: one `to_sse()` writes id/event/data; Last-Event-ID parsing for resume."""

from __future__ import annotations

import json
import uuid

import pytest

from chat.events import CompleteEvent, ErrorEvent, ParamsEvent, parse_event
from chat.streaming import parse_last_event_id


def test_to_sse_writes_id_event_and_one_data_line() -> None:
    text = ErrorEvent(message="line one\nline two", stage="sql_execution").to_sse("r:7")
    lines = text.split("\n")
    assert lines[:2] == ["id: r:7", "event: error"]
    assert lines[2].startswith("data: ")
    assert lines[3:] == ["", ""]
    assert json.loads(lines[2][6:]) == {
        "type": "error",
        "message": "line one\nline two",
        "stage": "sql_execution",
    }


def test_params_controls_omit_absent_optional_keys() -> None:
    event = ParamsEvent(
        values={"title": "t", "chart_type": "bar", "color_scheme": "default"},
        controls=[{"name": "title", "kind": "text", "label": "Title"}],  # type: ignore[list-item]
    )
    assert event.payload()["controls"] == [{"name": "title", "kind": "text", "label": "Title"}]


def test_payloads_that_break_the_contract_are_rejected() -> None:
    with pytest.raises(ValueError):
        parse_event("error", {"type": "error", "message": "x", "stage": "somewhere"})
    with pytest.raises(ValueError):
        parse_event("done", {"type": "complete", "code_complete": True})
    assert parse_event("done", CompleteEvent(code_complete=True, data_ready=False).payload())


def test_last_event_id_is_the_seq_of_this_run() -> None:
    run_id = uuid.uuid4()
    assert parse_last_event_id(f"{run_id}:12", run_id) == 12
    assert parse_last_event_id("12", run_id) == 12
    assert parse_last_event_id(None, run_id) == 0
    assert parse_last_event_id(f"{uuid.uuid4()}:12", run_id) == 0
    assert parse_last_event_id(f"{run_id}:x", run_id) == 0

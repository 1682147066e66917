"""The exact payload shapes of docs/sse.md, written out independently of chat/events.py so a
change to the models that breaks the contract fails the tests."""

from __future__ import annotations

import re

from chat.events import parse_event
from chat.tests.sse import Event

SHAPES: dict[str, tuple[str, set[str], set[str]]] = {
    # event: (type, required keys, optional keys)
    "run": ("run", {"type", "run_id", "conversation_id"}, set()),
    "thought": ("thinking", {"type", "content"}, set()),
    "sql": ("sql", {"type", "engine", "sql"}, set()),
    "code": ("code_chunk", {"type", "language", "content"}, set()),
    "data": (
        "data_ready",
        {"type", "url", "size", "format"},
        {"row_count", "truncated", "columns"},
    ),
    "params": ("parameters", {"type", "values", "controls"}, set()),
    "progress": ("progress", {"type", "stage", "done", "total"}, {"position"}),
    "error": ("error", {"type", "message", "stage"}, {"code", "suggestions"}),
    "clarify": ("clarify", {"type", "question", "options"}, set()),
    "done": ("complete", {"type", "code_complete", "data_ready"}, set()),
}
STAGES = {"sql_execution", "code_generation", "data_fetch"}
CONTROL_KEYS = {"name", "kind", "label", "options", "min", "max", "step"}
COLUMN_KEYS = {"name", "type", "arrow_type", "format"}
COLUMN_OPTIONAL = {"grain", "currency", "label"}


def assert_contract(events: list[Event]) -> None:
    """Every payload has its spec shape and validates against the models; ids are
    `<run-id>:<seq>` with consecutive seqs; the stream ends with exactly one `done`."""
    assert events, "no events"
    run_id = events[0].data.get("run_id") if events[0].event == "run" else None
    for event in events:
        assert event.event in SHAPES, event
        type_, required, optional = SHAPES[event.event]
        keys = set(event.data)
        assert event.data["type"] == type_, event
        assert required <= keys <= required | optional, event
        parse_event(event.event, event.data)
        if event.event == "code":
            assert event.data["language"] == "tsx"
        if event.event == "data":
            assert re.fullmatch(r"/api/data/[\w-]+", event.data["url"]), event
            assert event.data["size"] in {"small", "large"}
            assert event.data["format"] in {"json", "parquet"}
            for column in event.data.get("columns", []):
                assert COLUMN_KEYS <= set(column) <= COLUMN_KEYS | COLUMN_OPTIONAL, column
        if event.event == "error":
            assert event.data["stage"] in STAGES
            assert event.data["message"].strip()
            assert event.data.get("code", "declined") == "declined"
            if "suggestions" in event.data:
                assert event.data.get("code") == "declined", event
                assert all(isinstance(q, str) and q.strip() for q in event.data["suggestions"])
        if event.event == "clarify":
            assert event.data["question"].strip()
            assert all(isinstance(o, str) and o.strip() for o in event.data["options"])
        if event.event == "params":
            values = event.data["values"]
            assert isinstance(values["title"], str) and values["title"]
            assert values["chart_type"] in {"bar", "line", "area", "pie", "scatter", "table", "kpi"}
            assert isinstance(values["color_scheme"], str)
            for control in event.data["controls"]:
                assert {"name", "kind", "label"} <= set(control) <= CONTROL_KEYS, control
        if event.event == "done":
            assert isinstance(event.data["code_complete"], bool)
            assert isinstance(event.data["data_ready"], bool)
        if run_id is not None:
            assert event.id.rpartition(":")[0] == run_id, event.id
    seqs = [event.seq for event in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert [e.event for e in events].count("done") == 1
    assert events[-1].event == "done"


# run, thought+, sql, data, (thought)*, code+, params, done: the model may comment on the data it
# got back before it writes the component.
ANSWER_SEQUENCE = re.compile(r"run( thought)+ sql data( thought)*( code)+ params done")


def sequence_text(events: list[Event]) -> str:
    """The event names in order; a queued run's `progress` events (its place in line) before
    it starts are left out, so the sequences read the same whether the run waited or not."""
    return " ".join(e.event for e in events if "position" not in e.data)

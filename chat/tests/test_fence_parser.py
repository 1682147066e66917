"""The incremental parser that turns the model's streamed text into thoughts and code chunks."""

from __future__ import annotations

import random

import pytest

from chat.agent.fences import FenceParser, Piece, clarify_message, decline_message

CODE = (
    'import React from "react";\n'
    "const fence = `not a ``` fence`;\n"
    "export default function Viz({ data, params }) {\n"
    "  return null;\n"
    "}\n"
)
MESSAGE = (
    "I'll total sales by region.\n"
    "Then chart them.\n"
    "```sql\nSELECT 1\n```\n"
    f"```tsx\n{CODE}```\n"
    '```json params\n{"values": {"title": "t", "chart_type": "bar"}, "controls": []}\n```\n'
    "Done."
)


def feed_in_pieces(text: str, seed: int) -> tuple[FenceParser, list[Piece]]:
    rng = random.Random(seed)
    parser, i = FenceParser(), 0
    pieces: list[Piece] = []
    while i < len(text):
        size = rng.randint(1, 9)
        pieces += parser.feed(text[i : i + size])
        i += size
    pieces += parser.close()
    return parser, pieces


@pytest.mark.parametrize("seed", range(40))
def test_any_split_of_the_stream_gives_the_same_result(seed: int) -> None:
    parser, pieces = feed_in_pieces(MESSAGE, seed)
    assert "".join(text for kind, text in pieces if kind == "code") == CODE
    assert [text for kind, text in pieces if kind == "thought"] == [
        "I'll total sales by region.",
        "Then chart them.",
        "Done.",
    ]
    assert parser.result.sql == "SELECT 1"
    assert parser.result.params == {
        "values": {"title": "t", "chart_type": "bar"},
        "controls": [],
    }
    assert parser.result.code_complete


def test_code_streams_before_the_fence_closes() -> None:
    parser = FenceParser()
    # The trailing newline is held back: it could begin the closing fence.
    assert parser.feed("Here it is.\n```tsx\nexport default function Viz() {\n") == [
        ("thought", "Here it is."),
        ("code", "export default function Viz() {"),
    ]
    assert parser.feed("  return null;\n") == [("code", "\n  return null;")]
    assert parser.result.code_started
    assert not parser.result.code_closed


def test_unterminated_component_is_kept() -> None:
    parser, pieces = feed_in_pieces("```tsx\nexport default function Viz() {}\n", 1)
    assert "".join(text for kind, text in pieces if kind == "code").startswith("export default")
    assert parser.result.code_complete


def test_text_without_fences_is_only_thought() -> None:
    parser, pieces = feed_in_pieces("I can't answer that offline: no such table.", 3)
    assert pieces == [("thought", "I can't answer that offline: no such table.")]
    assert not parser.result.code_started


def test_invalid_params_json_is_reported_not_raised() -> None:
    parser, _ = feed_in_pieces("```json params\n{not json}\n```\n", 5)
    assert parser.result.params is None
    assert parser.result.params_error


def test_a_question_back_is_read_whole_and_its_prose_is_a_thought() -> None:
    text = clarify_message("Which column do you mean?", ["Sales by store name", "Sales by city"])
    parser, pieces = feed_in_pieces(text, 2)
    assert pieces == [("thought", "Which column do you mean?")]
    assert parser.result.clarify == {
        "question": "Which column do you mean?",
        "options": ["Sales by store name", "Sales by city"],
    }
    assert not parser.result.code_started and parser.result.params is None


def test_a_decline_carries_its_suggested_questions_beside_the_text() -> None:
    message = decline_message("I can't answer that: no such table.", ["Sales by region"])
    parser, pieces = feed_in_pieces(message, 5)
    assert pieces == [("thought", "I can't answer that: no such table.")]
    assert parser.result.suggestions == ["Sales by region"]

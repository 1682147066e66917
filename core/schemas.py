"""Schemas every app's API shares."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import BaseModel, model_validator


class ErrorOut(Schema):
    """Every API error body: a stable code, a message for the user, optional structured detail."""

    code: str
    message: str
    detail: Any = None


def has_lone_surrogate(value: Any) -> bool:
    """Whether a parsed JSON value holds a string with a lone UTF-16 surrogate ("\\ud800"):
    JSON allows the escape, but it is not Unicode text and cannot be stored or encoded."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class BodyIn(BaseModel):
    """The base of every JSON request body. A plain Pydantic model, not a Ninja `Schema`: a
    Schema validates any value by reading its attributes, so `null`, `123` or `"x"` would pass
    as a body with every field at its default; here they are refused (422)."""

    @model_validator(mode="before")
    @classmethod
    def _unicode_text(cls, value: Any) -> Any:
        if has_lone_surrogate(value):
            raise ValueError(
                "the body holds a lone UTF-16 surrogate (such as \\ud800), which is not text"
            )
        return value

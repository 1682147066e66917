"""Schemas every app's API shares."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every API error body: a stable code, a message for the user, optional structured detail."""

    code: str
    message: str
    detail: Any = None

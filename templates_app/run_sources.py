"""Where a chat run's artifact comes from when a user saves it as a template. The chat app
registers a lookup here (from chat/apps.py); templates_app never imports chat."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

RunLookup = Callable[[uuid.UUID, Any], "dict[str, Any] | None"]

_lookup: RunLookup | None = None


def register(fn: RunLookup) -> None:
    """Install the run lookup: fn(run_id, user) returns the run's {prompt, generated_sql, ui_code,
    parameters, engine, result_id, conversation_id} when `user` may save it, else None."""
    global _lookup
    _lookup = fn


def lookup(run_id: uuid.UUID, user: Any) -> dict[str, Any] | None:
    """The run's artifact, or None when no source is registered or the run is not the user's."""
    if _lookup is None:
        return None
    return _lookup(run_id, user)

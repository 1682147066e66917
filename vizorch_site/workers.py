"""Channels worker consumers by channel name; the chat app contributes the run worker."""

from __future__ import annotations

from typing import Any


def worker_consumers() -> dict[str, Any]:
    try:
        from chat.consumers import worker_routes
    except ImportError:
        return {}
    routes: dict[str, Any] = worker_routes()
    return routes

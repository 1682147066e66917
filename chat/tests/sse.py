"""A small SSE client for the tests: real HTTP with httpx and httpx-sse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import EventSource, connect_sse

from vizorch_site.testing import LiveServer

TIMEOUT = httpx.Timeout(120.0, connect=10.0)


@dataclass(frozen=True)
class Event:
    id: str
    event: str
    data: dict[str, Any]

    @property
    def seq(self) -> int:
        return int(self.id.rpartition(":")[2])


def client_for(server: LiveServer, username: str = "analyst") -> httpx.Client:
    token = server.api_token(username)
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )


@contextmanager
def open_stream(
    client: httpx.Client, method: str, url: str, **kwargs: Any
) -> Iterator[EventSource]:
    with connect_sse(client, method, url, **kwargs) as source:
        if source.response.status_code != 200:
            source.response.read()
            raise AssertionError(f"{url}: {source.response.status_code} {source.response.text}")
        yield source


def iter_events(source: EventSource) -> Iterator[Event]:
    for sse in source.iter_sse():
        if not sse.data:
            # A heartbeat comment: httpx-sse reports it as an empty event once an id was seen.
            continue
        yield Event(sse.id, sse.event, json.loads(sse.data))


def events_of(source: EventSource) -> list[Event]:
    return list(iter_events(source))


def collect(client: httpx.Client, method: str, url: str, **kwargs: Any) -> list[Event]:
    with open_stream(client, method, url, **kwargs) as source:
        return events_of(source)


def ask(client: httpx.Client, prompt: str, **body: Any) -> list[Event]:
    return collect(client, "POST", "/api/chat", json={"prompt": prompt, **body})


def code_of(events: list[Event]) -> str:
    return "".join(e.data["content"] for e in events if e.event == "code")


def names(events: list[Event]) -> list[str]:
    return [e.event for e in events]


def squash(sequence: list[str]) -> list[str]:
    """Collapse runs of the same event name: thought, thought, sql → thought, sql."""
    out: list[str] = []
    for name in sequence:
        if not out or out[-1] != name:
            out.append(name)
    return out

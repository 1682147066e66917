"""A small SSE reader that timestamps every event as it arrives, for latency figures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx


@dataclass
class Event:
    name: str
    data: str
    id: str | None
    at: float  # time.perf_counter() when its blank line arrived

    @property
    def seq(self) -> int | None:
        """The run's sequence number from `id: <run-id>:<seq>`."""
        if not self.id or ":" not in self.id:
            return None
        try:
            return int(self.id.rsplit(":", 1)[1])
        except ValueError:
            return None


@dataclass
class Stream:
    """One SSE response read to its end: when it was requested, its status and its events."""

    started: float
    status: int = 0
    events: list[Event] = field(default_factory=list)
    error: str | None = None
    ended: float = 0.0

    @property
    def first_event_s(self) -> float | None:
        return self.events[0].at - self.started if self.events else None

    @property
    def done(self) -> bool:
        return bool(self.events) and self.events[-1].name == "done"


async def events(response: httpx.Response) -> AsyncIterator[Event]:
    name, event_id = "message", None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield Event(name, "\n".join(data), event_id, time.perf_counter())
            name, event_id, data = "message", None, []
        elif line.startswith(":"):
            continue
        else:
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
            elif key == "id":
                event_id = value


async def read_stream(
    client: httpx.AsyncClient, method: str, url: str, *, timeout_s: float, **kwargs: object
) -> Stream:
    """Send the request and read its SSE body until the server closes it (or `timeout_s`)."""
    stream = Stream(started=time.perf_counter())
    try:
        async with asyncio.timeout(timeout_s):
            async with client.stream(method, url, **kwargs) as response:  # type: ignore[arg-type]
                stream.status = response.status_code
                if response.status_code != 200:
                    body = (await response.aread())[:300]
                    stream.error = f"HTTP {response.status_code}: {body!r}"
                    return stream
                async for event in events(response):
                    stream.events.append(event)
    except TimeoutError:
        stream.error = f"no end of stream within {timeout_s:g}s"
    except httpx.HTTPError as exc:
        stream.error = f"{type(exc).__name__}: {exc}"
    finally:
        stream.ended = time.perf_counter()
    return stream

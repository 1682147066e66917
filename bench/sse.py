"""A small SSE reader that timestamps every event as it arrives, for latency figures: through
httpx, and through a lean HTTP/1.1 client for bursts (`burst_request`)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h11
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
    async for event in _events(response.aiter_lines()):
        yield event


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    name, event_id = "message", None
    data: list[str] = []
    async for line in lines:
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


# A burst's client. httpx's connection pool (pure Python, one lock over every connection) spends
# more CPU than the server on 200 requests at once: 200 `GET /ping` at once took 1.1-1.3 s at
# p99 through one httpx client against 0.4 s with h11 on asyncio streams (the same server,
# alternating, on a quiet machine). A burst figure measures the server, so its requests go
# through this one.
BURST_READ_BYTES = 64 * 1024


async def burst_request(
    base_url: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    timeout_s: float,
    json_body: object = None,
) -> Stream:
    """One request on a connection of its own (h11 over asyncio streams), read to its end: an
    SSE body's events are timestamped as they arrive; any other body's end counts as `ended`."""
    url = urlsplit(base_url)
    body = b"" if json_body is None else json.dumps(json_body).encode()
    fields = [("Host", url.netloc), ("Connection", "close"), *headers.items()]
    if json_body is not None:
        fields += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    stream = Stream(started=time.perf_counter())
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
            connection = h11.Connection(h11.CLIENT)
            writer.write(connection.send(h11.Request(method=method, target=path, headers=fields)))
            if body:
                writer.write(connection.send(h11.Data(data=body)))
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()
            async for event in _events(_body_lines(connection, reader, stream)):
                stream.events.append(event)
    except TimeoutError:
        stream.error = f"no end of stream within {timeout_s:g}s"
    except (OSError, h11.ProtocolError) as exc:
        stream.error = f"{type(exc).__name__}: {exc}"
    finally:
        stream.ended = time.perf_counter()
        if writer is not None:
            writer.close()
    return stream


async def _body_lines(
    connection: h11.Connection, reader: asyncio.StreamReader, stream: Stream
) -> AsyncIterator[str]:
    """The response body's lines; a status other than 200 ends it with `stream.error`."""
    pending = b""
    error = b""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(BURST_READ_BYTES))
        elif isinstance(event, h11.Response):
            stream.status = event.status_code
        elif isinstance(event, h11.Data):
            if stream.status != 200:
                error += bytes(event.data)
                continue
            *lines, pending = (pending + bytes(event.data)).split(b"\n")
            for line in lines:
                yield line.removesuffix(b"\r").decode()
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            if stream.status != 200:
                stream.error = f"HTTP {stream.status}: {error[:300]!r}"
            return

"""The SSE stream of a run. It only forwards events: first what the durable log holds after the
client's `Last-Event-ID`, then what the worker publishes to the run's group, until `done`. While
attached it tells the worker somebody is listening; idle streams get a heartbeat comment."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from chat import conf, services
from chat.consumers import run_group
from chat.events import CompleteEvent, parse_event

logger = logging.getLogger(__name__)

HEARTBEAT = ": heartbeat\n\n"


def event_id(run_id: Any, seq: int) -> str:
    return f"{run_id}:{seq}"


def parse_last_event_id(value: str | None, run_id: Any) -> int:
    """The seq a client has seen, from `Last-Event-ID: <run-id>:<seq>` (0 if absent or foreign)."""
    if not value:
        return 0
    run_part, _, seq_part = value.strip().rpartition(":")
    if run_part and run_part != str(run_id):
        return 0
    try:
        return max(0, int(seq_part))
    except ValueError:
        return 0


def _frame(run_id: Any, seq: int, name: str, data: dict[str, Any]) -> str:
    return parse_event(name, data).to_sse(event_id(run_id, seq))


async def stream_run(run_id: Any, after: int = 0) -> AsyncIterator[str]:
    """SSE text for run `run_id` from seq `after + 1` to its `done`."""
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    group = run_group(run_id)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> None:
        while True:
            inbox.put_nowait(await layer.receive(channel))

    # Subscribe before reading the log: whatever is logged after the read arrives live (the
    # layer holds it for the channel until the receiver starts).
    await layer.group_add(group, channel)
    receiver: asyncio.Future[None] | None = None
    last = after
    touched = checked = spoke = time.monotonic()
    finished = False
    ended_at: float | None = None

    async def catch_up() -> list[str]:
        """Frames the log holds after `last` (stopping at `done`)."""
        nonlocal last, finished
        frames = []
        for seq, name, data in await sync_to_async(services.events_after)(run_id, last):
            frames.append(_frame(run_id, seq, name, data))
            last = seq
            if name == CompleteEvent.event:
                finished = True
                break
        return frames

    try:
        for frame in await catch_up():
            yield frame
        if not finished and last > 0:
            # Resumed at or past the end (Last-Event-ID at or after `done`): nothing is left.
            finished = await sync_to_async(services.has_ended)(run_id, last)
        if not finished:
            receiver = asyncio.ensure_future(receive())
        tick = min(conf.heartbeat_s(), conf.listener_touch_s(), 5.0)
        while not finished:
            try:
                message = await asyncio.wait_for(inbox.get(), timeout=tick)
            except TimeoutError:
                message = None
            now = time.monotonic()
            if now - touched >= conf.listener_touch_s():
                await sync_to_async(services.touch_listener)(run_id)
                touched = now
            if message is None and now - checked >= conf.listener_touch_s():
                # Idle: is a worker still there to drive the run (or to pick it up)?
                checked = now
                await sync_to_async(services.expire_unclaimed)(run_id, conf.pickup_timeout_s())
                await sync_to_async(services.expire_abandoned)(run_id, conf.worker_timeout_s())
                # A finished run whose log still has nothing more for us one check later: its
                # `done` was seen, or will never be written; the stream ends.
                if ended_at is None and await sync_to_async(services.is_finished)(run_id):
                    ended_at = now
            if message is None or int(message.get("seq", 0)) > last + 1:
                # Idle, or a gap: read the log in case a live message was lost (a full or expired
                # channel drops messages silently).
                frames = await catch_up()
                for frame in frames:
                    yield frame
                if not frames and ended_at is not None and now - ended_at >= tick:
                    break
                if frames:
                    spoke = now
                elif message is None and now - spoke >= conf.heartbeat_s():
                    yield HEARTBEAT
                    spoke = now
                continue
            seq = int(message.get("seq", 0))
            if seq <= last:
                continue
            last, spoke = seq, now
            yield _frame(run_id, seq, message["event"], message["data"])
            finished = message["event"] == CompleteEvent.event
    finally:
        if receiver is not None:
            # Not awaited: the stream must end even if the layer is slow to give up a receive.
            receiver.cancel()
            receiver.add_done_callback(_ignore_outcome)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(layer.group_discard(group, channel), timeout=5)


def _ignore_outcome(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()

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

from channels.layers import get_channel_layer

from chat import conf, services
from chat.broker import bounded
from chat.consumers import embedded_holds, run_group, uses_embedded_worker
from chat.events import CompleteEvent, parse_event
from core.db import db
from core.starts import stream_starts

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


EMBEDDED_NOT_STARTED = (
    "This run was never started (the server restarted before it began); ask again."
)


async def stream_run(run_id: Any, after: int = 0, first: str | None = None) -> AsyncIterator[str]:
    """SSE text for run `run_id` from seq `after + 1` to its `done`; `first` is the frame of seq
    `after` when the caller has it at hand (the `run` event of a run it just created), sent
    before anything else."""
    if first is not None:
        yield first
    layer = get_channel_layer()
    assert layer is not None
    channel = await bounded(layer.new_channel())
    group = run_group(run_id)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> None:
        while True:
            try:
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the log is read while idle; listen again shortly
                logger.warning("a stream lost the channel layer (%r)", exc)
                await asyncio.sleep(1.0)
                continue
            inbox.put_nowait(message)

    # Subscribe before reading the log: whatever is logged after the read arrives live (the
    # layer holds it for the channel until the receiver starts).
    await bounded(layer.group_add(group, channel))
    receiver: asyncio.Future[None] | None = None
    last = after
    touched = checked = spoke = time.monotonic()
    finished = False
    ended_at: float | None = None

    async def catch_up() -> list[str]:
        """Frames the log holds after `last` (stopping at `done`)."""
        nonlocal last, finished
        frames = []
        for seq, name, data in await db(services.events_after, run_id, last):
            frames.append(_frame(run_id, seq, name, data))
            last = seq
            if name == CompleteEvent.event:
                finished = True
                break
        return frames

    try:
        if first is not None:
            # A run just created: its log holds nothing more unless a worker started it, and
            # whatever it publishes waits in the channel; read the log once the burst of stream
            # starts this one may be part of is over (core/starts.py).
            await stream_starts.quiet()
        for frame in await catch_up():
            yield frame
        if not finished and last > 0 and first is None:
            # Resumed at or past the end (Last-Event-ID at or after `done`): nothing is left.
            finished = await db(services.has_ended, run_id, last)
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
                await db(services.touch_listener, run_id)
                touched = now
            if message is None and now - checked >= conf.listener_touch_s():
                # Idle: is a worker still there to drive the run (or to pick it up)?
                checked = now
                await _expire_if_nobody_drives(run_id)
                # A finished run whose log still has nothing more for us one check later: its
                # `done` was seen, or will never be written; the stream ends.
                if ended_at is None and await db(services.is_finished, run_id):
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
            await asyncio.wait_for(bounded(layer.group_discard(group, channel)), timeout=5)


async def _expire_if_nobody_drives(run_id: Any) -> None:
    """End a run no worker holds: never picked up, or its worker stopped and no other took it
    over (other workers take a silent worker's runs over after VIZORCH_RUN_WORKER_TIMEOUT_S)."""
    if uses_embedded_worker():
        # The worker is in this process: a run it holds is queued or running, however long.
        if not embedded_holds(run_id):
            await db(
                services.expire_unclaimed,
                run_id,
                conf.pickup_timeout_s(),
                hint=EMBEDDED_NOT_STARTED,
            )
    else:
        await db(services.expire_unclaimed, run_id, conf.pickup_timeout_s())
    await db(services.expire_abandoned, run_id, 3 * conf.worker_timeout_s())


def _ignore_outcome(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()

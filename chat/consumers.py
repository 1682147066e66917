"""The run worker. `vizorch.runs` receives `run.start` messages; the worker's run queue holds
each run until one of its slots is free (the queued run's stream is told its place in line), then
drives it as a task of its own: the agent runs, its events are written to the run's durable log in
batches and then `group_send` to the streams listening. A watchdog stops the run when it is
cancelled, when nobody has listened for a while, or when it runs too long; the run always ends
with exactly one `done`. A worker that goes silent (killed) has its runs taken over by another.

With the in-memory channel layer the worker lives in the web process (started lazily by the first
chat request, in daphne's loop); with Redis it runs as `manage.py runworker vizorch.runs`. Either
way all runs of a process share its few database threads (core/db.py)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import AsyncConsumer
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from channels.worker import Worker

from chat import conf, services
from chat.agent.providers import build_chat_model, parse_spec
from chat.agent.runner import AgentRunner, RunOutcome
from chat.broker import bounded
from chat.events import CodeChunkEvent, CompleteEvent, ErrorEvent, ProgressEvent, SseEvent
from core.db import db, lane
from core.starts import stream_starts
from executors.catalog.model import SemanticCatalog

logger = logging.getLogger(__name__)

# Code is coalesced so a token-by-token provider costs a few log rows per component, not one per
# token: a chunk leaves when it has this many characters, or this long after its first token.
CODE_FLUSH_CHARS = 4096
CODE_FLUSH_S = 0.25
# A stopping worker waits this long at most for other workers to take the runs it let go of,
# telling them again every PASS_ON_RETRY_S (see `RunQueue.see_passed_on`).
PASS_ON_WITHIN_S = 3.0
PASS_ON_RETRY_S = 0.25
# Why a run stopped on this worker when another drives it on (the worker is stopping).
HANDED_OVER = "handed over"
# This worker process, as recorded on the runs it holds.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_group(run_id: Any) -> str:
    return f"vizorch.run.{str(run_id).replace('-', '')}"


class Replay:
    """A run another worker started and stopped driving (it died) is driven again from its start;
    what its log already holds is not written twice. The new drive's events are matched in
    order against the log, by kind (code by its text); once the new drive says something else,
    everything from there on is written."""

    def __init__(self, logged: list[tuple[int, str, dict[str, Any]]]) -> None:
        self._said: list[tuple[str, str]] = []  # (event name, code text)
        for _, name, data in logged:
            if name in ("run", "progress"):
                continue
            if name == CodeChunkEvent.event and self._said and self._said[-1][0] == name:
                self._said[-1] = (name, self._said[-1][1] + str(data.get("content", "")))
            else:
                self._said.append((name, str(data.get("content", ""))))
        self.last_seq = max((seq for seq, _, _ in logged), default=0)

    def filter(self, event: SseEvent) -> SseEvent | None:
        if isinstance(event, ProgressEvent) or not self._said:
            return event
        name, code = self._said[0]
        if name != event.event:
            self._said = []
            return event
        if not isinstance(event, CodeChunkEvent):
            self._said.pop(0)
            return None
        text = event.content
        if code.startswith(text):
            code = code[len(text) :]
            if code:
                self._said[0] = (name, code)
            else:
                self._said.pop(0)
            return None
        self._said = []
        if text.startswith(code):
            rest = text[len(code) :]
            return CodeChunkEvent(content=rest) if rest else None
        return event


class RunEmitter:
    """Coalesces, writes and publishes a run's events, in order. Events are written in batches:
    each write takes everything that arrived while the previous one was in flight, in one
    transaction. An event is numbered by its write: `seq` is the last number written, and a write
    that fails consumes none (the events it could not store are left out, logged)."""

    def __init__(
        self,
        run_id: str,
        layer: BaseChannelLayer,
        last_seq: int,
        *,
        replay: Replay | None = None,
    ) -> None:
        self.run_id = run_id
        self.layer = layer
        self.seq = last_seq
        self.closed = False
        self.replay = replay
        self._code: list[str] = []
        self._code_chars = 0
        self._code_timer: asyncio.TimerHandle | None = None
        self._queue: list[SseEvent] = []
        self._writer: asyncio.Task[None] | None = None

    @property
    def done(self) -> bool:
        return self.closed

    async def __call__(self, event: SseEvent) -> None:
        if self.closed:
            return
        if self.replay is not None:
            filtered = self.replay.filter(event)
            if filtered is None:
                return
            event = filtered
        if isinstance(event, CodeChunkEvent):
            self._code.append(event.content)
            self._code_chars += len(event.content)
            if self._code_chars >= CODE_FLUSH_CHARS:
                self._take_code()
                self._kick()
            elif self._code_timer is None:
                # A model that pauses mid-component still gets its chunk out promptly.
                loop = asyncio.get_running_loop()
                self._code_timer = loop.call_later(CODE_FLUSH_S, self._code_due)
            return
        self._take_code()
        self._queue.append(event)
        if isinstance(event, CompleteEvent):
            self.closed = True
        self._kick()

    def stop(self) -> None:
        """Write nothing more (another worker has the run now)."""
        self.closed = True
        self._queue.clear()
        self._code.clear()

    def _take_code(self) -> None:
        if self._code_timer is not None:
            self._code_timer.cancel()
            self._code_timer = None
        if self._code:
            self._queue.append(CodeChunkEvent(content="".join(self._code)))
            self._code, self._code_chars = [], 0

    def _code_due(self) -> None:
        self._code_timer = None
        if not self.closed:
            self._take_code()
            self._kick()

    def _kick(self) -> None:
        if self._queue and (self._writer is None or self._writer.done()):
            self._writer = asyncio.ensure_future(self._write_all())

    async def _write_all(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            await self._write(batch)

    async def _write(self, batch: list[SseEvent]) -> None:
        written = batch
        try:
            await db(services.append_events, self.run_id, self.seq + 1, batch)
        except Exception:
            logger.warning("could not store %d events of run %s at once", len(batch), self.run_id)
            written = []
            for event in batch:
                try:
                    await db(services.append_events, self.run_id, self.seq + 1, [event])
                except Exception:
                    logger.exception("left out a %s event of run %s", event.event, self.run_id)
                    continue
                self.seq += 1
                written.append(event)
            first = self.seq - len(written) + 1
        else:
            first = self.seq + 1
            self.seq += len(batch)
        for offset, event in enumerate(written):
            await publish(self.layer, self.run_id, first + offset, event)

    async def finish(
        self, event: CompleteEvent, record: Callable[[int, list[SseEvent]], None]
    ) -> None:
        """Write the run's last event through `record(first_seq, events)`, which stores it in
        one transaction with the run's outcome, once everything before it is written; should
        that fail, the event is written alone, so the run's streams still end."""
        await self.flush()
        events: list[SseEvent] = [] if self.closed else [event]  # closed: the outcome only
        self.closed = True
        seq = self.seq + 1
        try:
            await db(record, seq, events)
        except Exception:
            logger.exception("could not record the outcome of run %s", self.run_id)
            if events:
                try:
                    await db(services.append_events, self.run_id, seq, events)
                except Exception:
                    logger.exception("left out the done event of run %s", self.run_id)
                    events = []
        if events:
            self.seq = seq
            await publish(self.layer, self.run_id, seq, event)

    async def flush(self) -> None:
        """Return once every event accepted so far is written and published."""
        self._take_code()
        self._kick()
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)


async def publish(layer: BaseChannelLayer, run_id: Any, seq: int, event: SseEvent) -> None:
    try:
        await bounded(
            layer.group_send(
                run_group(run_id),
                {"type": "run.event", "seq": seq, "event": event.event, "data": event.payload()},
            )
        )
    except Exception:  # the log has it; listeners catch up from there
        logger.exception("could not publish event %s of run %s", seq, run_id)


async def drive_run(
    run_id: str, emit: RunEmitter | None = None, *, waited: bool = False, taken_over: bool = False
) -> None:
    """Run one run to its end. Claims it first unless `taken_over` (from a silent worker); safe
    to call for a run that is not pending (no-op). `emit` is the emitter of a run that waited in
    the queue (its progress events are numbered already)."""
    async with lane():
        layer = get_channel_layer()
        assert layer is not None
        if not taken_over:
            if emit is not None:
                await emit.flush()
            last = await db(services.claim_run, run_id, WORKER_ID)
            if last is None:
                return
            if emit is None or emit.seq != last:
                emit = RunEmitter(run_id, layer, last)
        assert emit is not None
        if waited:
            await emit(ProgressEvent(stage="Started", done=0, total=0, position=0))
        outcome: RunOutcome | None = None
        error: ErrorEvent | None = None
        stopped: str | None = None
        runner: AgentRunner | None = None
        task: asyncio.Future[Any] | None = None
        try:
            request = await db(services.build_request, run_id)
            runner = AgentRunner(
                functools.partial(_model_for, request.kind, request.engine), request, emit
            )
            task = asyncio.ensure_future(runner.run())
            stopped = await _watch(run_id, task, runner)
            if stopped == services.LOST:
                emit.stop()
                logger.warning("run %s was taken over by another worker", run_id)
                return
            outcome = runner.outcome
            if stopped:
                error = ErrorEvent(message=stopped, stage=runner.stage)
                await emit(error)
            elif outcome.error is not None:
                error = ErrorEvent(
                    message=outcome.error.message,
                    stage=outcome.error.stage,
                    code=outcome.error.code,
                )
        except asyncio.CancelledError:
            if run_queue().hands_over(run_id):
                # The worker is stopping: another worker drives the run again from its start;
                # what this one wrote stays, nothing more is written here.
                stopped = HANDED_OVER
                emit.stop()
                await asyncio.shield(_hand_over(run_id, emit, runner, task))
                raise
            stopped = "The run was stopped because its worker shut down."
            error = ErrorEvent(message=stopped, stage="code_generation")
            await asyncio.shield(emit(error))
            raise
        except Exception as exc:
            logger.exception("run %s failed", run_id)
            error = ErrorEvent(message=f"The run failed: {exc}", stage="code_generation")
            await emit(error)
        finally:
            if stopped not in (services.LOST, HANDED_OVER):
                finishing = asyncio.ensure_future(_finish(run_id, emit, outcome, stopped, error))
                try:
                    await asyncio.shield(finishing)
                except asyncio.CancelledError:
                    # Stopped while it finished (a worker that drains): the run ends here, as
                    # it had; the process must not exit between its outcome and its `done`.
                    await asyncio.shield(finishing)
                    raise


async def _hand_over(
    run_id: str, emit: RunEmitter, runner: AgentRunner | None, task: asyncio.Future[Any] | None
) -> None:
    """Stop driving a run and let another worker take it: its agent and query are stopped, a
    write in flight lands (the next worker numbers after it), the run is released (held by
    nobody, not stale), and the workers are told to look for it."""
    if task is not None:
        task.cancel()
    await emit.flush()
    if runner is not None and runner.toolbox.active_engine:
        from chat.agent.tools import cancel_query

        with contextlib.suppress(Exception):
            await sync_to_async(cancel_query, thread_sensitive=False)(
                runner.toolbox.active_engine, runner.toolbox.run_tag
            )
    try:
        await db(services.release_runs, [run_id], WORKER_ID)
    except Exception:  # it goes stale instead, and is taken over after the worker timeout
        logger.exception("could not release run %s", run_id)
        return
    logger.warning("handed run %s over to another worker", run_id)
    await run_queue().pass_on(run_id, {"type": "run.take_over", "run_id": run_id})


async def _send_to_workers(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    assert layer is not None
    try:
        await bounded(layer.send(conf.runs_channel(), message))
    except Exception:  # the other workers find released runs on their next look anyway
        logger.exception("could not tell the other workers about %s", message.get("run_id"))


async def _finish(
    run_id: str,
    emit: RunEmitter,
    outcome: RunOutcome | None,
    stopped: str | None,
    error: ErrorEvent | None,
) -> None:
    ok = outcome is not None and error is None
    done = CompleteEvent(
        code_complete=bool(ok and outcome is not None and outcome.code_complete),
        data_ready=bool(outcome is not None and outcome.data_ready),
    )
    # The run's final state and its `done` are committed together, before `done` leaves: a
    # client that acts on `done` (saves a template, sends render feedback) must find the run
    # finished, and a run is never finished without its `done` (its streams would end without
    # one).
    emit.replay = None  # a taken-over run's `done` is its own
    record = functools.partial(services.finish_run, run_id, outcome, cancelled=stopped, error=error)
    await emit.finish(done, record)


def _model_for(kind: str, engine: str | None, catalog: SemanticCatalog | None) -> Any:
    """The run's chat model; the offline analyst is built over the run's catalog (read once, by
    the runner) and looks values up on the run's engine."""
    spec = parse_spec()
    if kind != "chat":
        return build_chat_model(spec, purpose="ui")
    return build_chat_model(spec, catalog=catalog, engine=engine)


async def _watch(run_id: str, task: asyncio.Future[Any], runner: AgentRunner) -> str | None:
    """Wait for the run; stop it (and its query) when it must end early. Returns why, or None."""
    started = reported = time.monotonic()
    while True:
        done, _ = await asyncio.wait({task}, timeout=conf.watch_interval_s())
        if done:
            task.result()
            return None
        now = time.monotonic()
        alive = now - reported >= _report_every_s()
        if alive:
            reported = now
        reason = await db(
            services.run_watch_state,
            run_id,
            conf.orphan_timeout_s(),
            alive=alive,
            worker_id=WORKER_ID,
        )
        if reason is None and time.monotonic() - started > conf.max_run_s():
            reason = "The run took too long and was stopped."
        if reason is None:
            continue
        engine = runner.toolbox.active_engine
        task.cancel()
        if engine:
            from chat.agent.tools import cancel_query

            await sync_to_async(cancel_query, thread_sensitive=False)(
                engine, runner.toolbox.run_tag
            )
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return reason


def _report_every_s() -> float:
    """How often a worker records that it still holds its runs (well within the time after
    which another worker takes them over)."""
    return min(5.0, conf.worker_timeout_s() / 4)


# --- the run queue ---------------------------------------------------------------------------


@dataclass
class _Waiting:
    emit: RunEmitter
    position: int = 0


class RunQueue:
    """The runs one worker process holds: at most VIZORCH_MAX_CONCURRENT_RUNS running, the rest
    waiting in the order they came. A waiting run's stream gets a `progress` event with its place
    in line when it joins and as it moves up; all waiting runs are reported alive in one write."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.running: dict[str, asyncio.Task[None]] = {}
        self.waiting: dict[str, _Waiting] = {}
        self._arrivals: dict[str, None] = {}
        self._holder: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        # Set when the worker is stopping: new runs go back to the other workers.
        self.draining = False
        self._handing_over: set[str] = set()
        # Runs a stopping worker let go of, with the message that tells the others (see
        # `see_passed_on`).
        self._passed_on: dict[str, dict[str, Any]] = {}

    def hands_over(self, run_id: Any) -> bool:
        return str(run_id) in self._handing_over

    def holds(self, run_id: Any) -> bool:
        run_id = str(run_id)
        return run_id in self.running or run_id in self.waiting or run_id in self._arrivals

    def arrive(self, run_id: str) -> None:
        """A run for this worker. It is held (recorded as this worker's, unless a live worker
        holds it already) together with the others that arrive meanwhile, in one write."""
        if self.holds(run_id):
            return
        if self.draining:
            asyncio.get_running_loop().create_task(
                self.pass_on(run_id, {"type": "run.start", "run_id": run_id}),
                context=contextvars.Context(),
            )
            return
        self._arrivals[run_id] = None
        if self._holder is None or self._holder.done():
            self._holder = asyncio.get_running_loop().create_task(
                self._hold_arrivals(), context=contextvars.Context()
            )

    async def _hold_arrivals(self) -> None:
        while self._arrivals:
            await stream_starts.quiet()
            ids = list(self._arrivals)
            try:
                held = await db(services.hold_runs, ids, WORKER_ID, conf.worker_timeout_s())
            except Exception:
                logger.exception("could not take %d runs into the queue", len(ids))
                await asyncio.sleep(0.5)
                continue
            for run_id in ids:
                self._arrivals.pop(run_id, None)
                if run_id in held:
                    await self._place(run_id, held[run_id])

    async def _place(self, run_id: str, last_seq: int) -> None:
        if self.draining:
            # Held in the moment the worker began to stop (`_hold_arrivals` was writing): it
            # goes back to the other workers like the rest of the queue.
            await self._release_queued([run_id])
            return
        layer = get_channel_layer()
        assert layer is not None
        emit = RunEmitter(run_id, layer, last_seq)
        if len(self.running) < self.capacity and not self.waiting:
            self._start(run_id, emit)
            return
        waiting = self.waiting[run_id] = _Waiting(emit)
        await self._report(waiting, len(self.waiting))
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(
                self._tick(), context=contextvars.Context()
            )

    def take_over(self, run_id: str, log: list[tuple[int, str, dict[str, Any]]]) -> None:
        """Drive a running run whose worker went silent, from its start (see `Replay`)."""
        layer = get_channel_layer()
        assert layer is not None
        replay = Replay(log)
        self._start(
            run_id, RunEmitter(run_id, layer, replay.last_seq, replay=replay), taken_over=True
        )

    def _start(self, run_id: str, emit: RunEmitter, **how: bool) -> None:
        task = asyncio.get_running_loop().create_task(
            self._drive(run_id, emit, **how), context=contextvars.Context()
        )
        self.running[run_id] = task

    async def _drive(self, run_id: str, emit: RunEmitter, **how: bool) -> None:
        try:
            await drive_run(run_id, emit, **how)
        except Exception:
            logger.exception("run %s failed in its worker", run_id)
        finally:
            self.running.pop(run_id, None)
            self._next()

    def _next(self) -> None:
        while self.waiting and len(self.running) < self.capacity:
            run_id = next(iter(self.waiting))
            waiting = self.waiting.pop(run_id)
            self._start(run_id, waiting.emit, waited=True)

    async def _report(self, waiting: _Waiting, position: int) -> None:
        """Tell a waiting run's stream its place: when it joins, then as it moves up (each
        quarter of the way, and every step of the last three, so a long line costs few events)."""
        last = waiting.position
        if last and not (position < last and (position <= 3 or position <= last * 3 / 4)):
            return
        waiting.position = position
        ahead = position - 1
        stage = (
            "Waiting for a free run slot: next in line"
            if ahead == 0
            else f"Waiting for a free run slot: {ahead} run{'s' if ahead > 1 else ''} ahead"
        )
        await waiting.emit(ProgressEvent(stage=stage, done=0, total=0, position=position))

    async def _tick(self) -> None:
        tick = max(0.2, min(conf.listener_touch_s(), _report_every_s()))
        while self.waiting:
            await asyncio.sleep(tick)
            ids = list(self.waiting)
            try:
                pending = await db(services.touch_held, ids, WORKER_ID)
            except Exception:
                logger.exception("could not report the queued runs")
                continue
            for run_id in ids:
                if run_id not in pending:  # cancelled or ended while it waited
                    gone = self.waiting.pop(run_id, None)
                    if gone is not None:
                        gone.emit.stop()
            for position, waiting in enumerate(list(self.waiting.values()), start=1):
                await self._report(waiting, position)

    async def drain(self, grace_s: float, now: asyncio.Event) -> None:
        """Stop as a worker told to (SIGTERM): queued runs go to the other workers at once,
        running runs finish here for up to `grace_s` (less when `now` is set, by a second
        signal), and those still running then are handed over (see `drive_run`)."""
        self.draining = True
        queued = [*self.waiting, *self._arrivals]
        for waiting in self.waiting.values():
            waiting.emit.stop()
        self.waiting.clear()
        self._arrivals.clear()
        if queued:
            await self._release_queued(queued)
        deadline = time.monotonic() + grace_s
        hurry = asyncio.ensure_future(now.wait())
        try:
            while self.running and not now.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                await asyncio.wait(
                    {*self.running.values(), hurry},
                    timeout=left,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            hurry.cancel()
        # Until none is left: a run can start after the first look (its claim was in flight).
        # One that ended here without being handed over would be ended for good by the
        # process's exit ("its worker shut down") instead of going on elsewhere.
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            tasks = {run_id: t for run_id, t in self.running.items() if not t.done()}
            if not tasks:
                return
            for run_id, task in tasks.items():
                if run_id not in self._handing_over:
                    self._handing_over.add(run_id)
                    task.cancel()
            await asyncio.wait(tasks.values(), timeout=0.5)

    async def _release_queued(self, run_ids: list[str]) -> None:
        """Queued runs go to the other workers: those held here are let go, and every one's
        start message is sent on, including runs that had just arrived and that nobody holds
        yet (their message was this worker's; without it they would wait for a look at
        unheld runs). A worker takes only runs no live worker holds, so a second message for a
        run is harmless."""
        try:
            released = await db(services.release_runs, run_ids, WORKER_ID)
        except Exception:  # they go stale and are taken over after the worker timeout
            logger.exception("could not release %d queued runs", len(run_ids))
            return
        for run_id in run_ids:
            await self.pass_on(run_id, {"type": "run.start", "run_id": run_id})
        logger.warning(
            "handed %d queued runs to the other workers (%d held here)", len(run_ids), len(released)
        )

    async def pass_on(self, run_id: str, message: dict[str, Any]) -> None:
        """Tell the other workers about a run this stopping worker let go of."""
        self._passed_on[run_id] = message
        await _send_to_workers(message)

    async def see_passed_on(self, within_s: float) -> None:
        """Wait until another worker holds each run this one passed on (or it ended), telling
        the workers again now and then: Redis hands a message to whichever receive has waited
        longest, and this process's own listener, still waiting as the worker stops, can take
        one and end with the process before it passes it on. Past `within_s` the rest is left
        to the other workers' next look for released runs (`reclaim_forever`)."""
        deadline = time.monotonic() + within_s
        while self._passed_on:
            await asyncio.sleep(PASS_ON_RETRY_S)
            try:
                unheld = await db(services.unheld_runs, list(self._passed_on))
            except Exception:
                logger.exception("could not see whether the runs passed on were taken")
                return
            for run_id in [r for r in self._passed_on if r not in unheld]:
                del self._passed_on[run_id]
            if not self._passed_on or time.monotonic() >= deadline:
                break
            for message in list(self._passed_on.values()):
                await _send_to_workers(message)
        if self._passed_on:
            logger.warning(
                "%d runs passed on were not taken within %.0f s; the other workers find them "
                "on their next look",
                len(self._passed_on),
                within_s,
            )

    async def reclaim_forever(self) -> None:
        """Take over the runs of workers that went silent (killed, or cut off from the
        database): their queued runs join this queue, their running runs start again here."""
        while True:
            await asyncio.sleep(max(0.25, conf.worker_timeout_s() / 4))
            try:
                await self.reclaim()
            except Exception:
                logger.exception("could not look for runs of stopped workers")

    async def reclaim(self) -> None:
        if self.draining:
            return
        timeout = conf.worker_timeout_s()
        # Without a worker in this process, a queued run nobody took for a while lost its start
        # message (a worker stopped as it received it): take it too.
        unheld = None if uses_embedded_worker() else max(5.0, timeout / 4)
        for run_id, status in await db(services.stale_runs, timeout, unheld_after_s=unheld):
            if self.draining:  # began to stop while it looked
                return
            if self.holds(run_id):
                continue
            if status == "pending":
                self.arrive(run_id)
                continue
            log = await db(services.take_over, run_id, WORKER_ID, timeout)
            if log is not None:
                logger.warning("taking over run %s from a worker that stopped", run_id)
                self.take_over(run_id, log)


_queue: RunQueue | None = None


def run_queue() -> RunQueue:
    global _queue
    if _queue is None:
        _queue = RunQueue(conf.max_concurrent_runs())
    return _queue


class RunWorkerConsumer(AsyncConsumer):
    """Consumes `vizorch.runs`: each run joins this process's run queue. It listens on no
    channel of its own (an alias with no layer): the worker's listener hands it its messages,
    and a Redis error on a channel of its own would end the consumer with messages in hand."""

    channel_layer_alias = "vizorch-run-worker-has-no-layer"

    async def run_start(self, message: dict[str, Any]) -> None:
        run_queue().arrive(str(message["run_id"]))

    async def run_take_over(self, message: dict[str, Any]) -> None:
        """A stopping worker released a running run: look for runs to take now."""
        await run_queue().reclaim()


class RunWorker(Worker):
    """Channels' worker with a listener that outlives its channel layer's errors (a Redis
    timeout or restart): it waits and listens again instead of ending every run in flight; and
    that takes over the runs of workers that stopped."""

    # Whether SIGTERM and SIGINT drain this worker (a process of its own; the embedded worker
    # leaves signals to daphne).
    drains_on_signal = False

    async def handle(self) -> None:
        queue = run_queue()
        reclaimer = asyncio.ensure_future(queue.reclaim_forever())
        serving = asyncio.ensure_future(super().handle())
        stop, now = asyncio.Event(), asyncio.Event()
        if self.drains_on_signal:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                # The first signal drains, a second one hands the running runs over at once.
                loop.add_signal_handler(sig, lambda: now.set() if stop.is_set() else stop.set())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set():
                logger.warning("stopping: draining the run worker (%s)", WORKER_ID)
                reclaimer.cancel()
                # Listen no more: new runs stay in the channel for the other workers (a
                # listener's receive still waiting passes on what it gets, see `listener`).
                serving.cancel()
                await queue.drain(conf.drain_s(), now)
                await queue.see_passed_on(PASS_ON_WITHIN_S)
                logger.warning("the run worker stopped")
            else:
                serving.result()
        finally:
            stopping.cancel()
            reclaimer.cancel()
            serving.cancel()

    async def listener(self, channel: str) -> None:
        delay = 0.5
        while True:
            try:
                message = await self.channel_layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "the run listener lost the channel layer (%r); listening again in %.1f s",
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(10.0, delay * 2)
                continue
            delay = 0.5
            if run_queue().draining:
                # Stopping: the message is another worker's now.
                await _send_to_workers(message)
                return
            if not message.get("type"):
                logger.warning("ignored a message without a type on %s", channel)
                continue
            scope = {"type": "channel", "channel": channel}
            instance_queue = self.get_or_create_application_instance(channel, scope)
            await instance_queue.put(message)


class StandaloneRunWorker(RunWorker):
    """`manage.py runworker`: a process of its own, drained by SIGTERM (see `RunQueue.drain`)."""

    drains_on_signal = True


def worker_routes() -> dict[str, Any]:
    return {conf.runs_channel(): RunWorkerConsumer.as_asgi()}


def new_worker(channels: list[str], layer: BaseChannelLayer) -> RunWorker:
    from channels.routing import ChannelNameRouter

    return RunWorker(
        application=ChannelNameRouter(worker_routes()), channels=channels, channel_layer=layer
    )


# --- the embedded worker (in-memory channel layer) -------------------------------------------

_embedded: asyncio.Task[None] | None = None


def uses_embedded_worker(layer: BaseChannelLayer | None = None) -> bool:
    layer = layer or get_channel_layer()
    return isinstance(layer, InMemoryChannelLayer)


def ensure_embedded_worker() -> None:
    """Start the in-process run worker in the running loop, once (in-memory layer only)."""
    global _embedded
    layer = get_channel_layer()
    if layer is None or not uses_embedded_worker(layer):
        return
    if _embedded is not None and not _embedded.done():
        return
    worker = new_worker([conf.runs_channel()], layer)
    loop = asyncio.get_running_loop()
    _embedded = loop.create_task(worker.handle(), context=contextvars.Context())
    _embedded.add_done_callback(_embedded_stopped)
    logger.info("started the embedded run worker")


def _embedded_stopped(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the embedded run worker stopped: %r", task.exception())


def embedded_holds(run_id: Any) -> bool:
    """Whether this process's embedded worker holds the run (queued or running)."""
    return _queue is not None and uses_embedded_worker() and _queue.holds(run_id)


async def submit_run(run_id: Any) -> None:
    """Hand a run to a worker: the one in this process straight away, else through the layer."""
    layer = get_channel_layer()
    assert layer is not None
    if uses_embedded_worker(layer):
        ensure_embedded_worker()
        run_queue().arrive(str(run_id))
        return
    message = {"type": "run.start", "run_id": str(run_id)}
    for attempt, pause in enumerate((0.2, 1.0, 0.0), start=1):
        try:
            await bounded(layer.send(conf.runs_channel(), message))
            return
        except Exception:
            if not pause:
                # Not lost: a worker takes a queued run nobody holds on its next look.
                logger.exception(
                    "could not hand run %s to a worker (%d tries)", run_id, attempt + 1
                )
                return
            await asyncio.sleep(pause)


async def cancel_run(run_id: Any) -> None:
    """Ask the run to stop; a run no worker has picked up yet is ended right here."""
    layer = get_channel_layer()
    assert layer is not None
    for seq, event in await db(services.request_cancel, run_id):
        await publish(layer, run_id, seq, event)

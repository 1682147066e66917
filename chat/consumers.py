"""The run worker. `vizorch.runs` receives `run.start` messages; each run is driven as its own task:
the agent runs, every event is appended to the run's durable log and then `group_send` to the
streams listening. A watchdog stops the run when it is cancelled, when nobody has listened for a
while, or when it runs too long; the run always ends with exactly one `done`.

With the in-memory channel layer the worker lives in the web process (started lazily by the first
chat request, in daphne's loop); with Redis it runs as `manage.py runworker vizorch.runs`."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from channels.worker import Worker

from chat import conf, services
from chat.agent.providers import build_chat_model, parse_spec
from chat.agent.runner import AgentRunner, RunOutcome
from chat.events import CodeChunkEvent, CompleteEvent, ErrorEvent, SseEvent

logger = logging.getLogger(__name__)

# Code chunks are coalesced so a token-by-token provider does not cost one log row per token.
CODE_FLUSH_CHARS = 160
CODE_FLUSH_S = 0.15


def run_group(run_id: Any) -> str:
    return f"vizorch.run.{str(run_id).replace('-', '')}"


class RunEmitter:
    """Numbers, logs and publishes a run's events, in order."""

    def __init__(self, run_id: str, layer: BaseChannelLayer, last_seq: int) -> None:
        self.run_id = run_id
        self.layer = layer
        self.seq = last_seq
        self.done = False
        self._code: list[str] = []
        self._code_since = 0.0
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Future[None]] = set()

    async def __call__(self, event: SseEvent) -> None:
        async with self._lock:
            if isinstance(event, CodeChunkEvent):
                if not self._code:
                    self._code_since = time.monotonic()
                    # A model that pauses mid-component still gets its chunk out promptly.
                    asyncio.get_running_loop().call_later(CODE_FLUSH_S, self._flush_soon)
                self._code.append(event.content)
                if (
                    sum(map(len, self._code)) >= CODE_FLUSH_CHARS
                    or time.monotonic() - self._code_since >= CODE_FLUSH_S
                ):
                    await self._flush_code()
                return
            await self._flush_code()
            await self._publish(event)

    def _flush_soon(self) -> None:
        if self._code and not self.done:
            task = asyncio.ensure_future(self.flush())
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        async with self._lock:
            await self._flush_code()

    async def _flush_code(self) -> None:
        if self._code:
            content, self._code = "".join(self._code), []
            await self._publish(CodeChunkEvent(content=content))

    async def _publish(self, event: SseEvent) -> None:
        if self.done:
            return
        self.seq += 1
        await database_sync_to_async(services.append_event)(self.run_id, self.seq, event)
        if isinstance(event, CompleteEvent):
            self.done = True
        await publish(self.layer, self.run_id, self.seq, event)


async def publish(layer: BaseChannelLayer, run_id: Any, seq: int, event: SseEvent) -> None:
    try:
        await layer.group_send(
            run_group(run_id),
            {"type": "run.event", "seq": seq, "event": event.event, "data": event.payload()},
        )
    except Exception:  # the log has it; listeners catch up from there
        logger.exception("could not publish event %s of run %s", seq, run_id)


async def drive_run(run_id: str) -> None:
    """Run one claimed run to its end. Safe to call for a run that is not pending (no-op)."""
    async with ThreadSensitiveContext():
        last = await database_sync_to_async(services.claim_run)(run_id)
        if last is None:
            return
        layer = get_channel_layer()
        assert layer is not None
        emit = RunEmitter(run_id, layer, last)
        outcome: RunOutcome | None = None
        error: ErrorEvent | None = None
        stopped: str | None = None
        try:
            request = await database_sync_to_async(services.build_request)(run_id)
            model = await sync_to_async(_model_for, thread_sensitive=False)(
                request.engine, request.kind
            )
            runner = AgentRunner(model, request, emit)
            task = asyncio.ensure_future(runner.run())
            stopped = await _watch(run_id, task, runner)
            outcome = runner.outcome
            if stopped:
                error = ErrorEvent(message=stopped, stage=runner.stage)
                await emit(error)
            elif outcome.error is not None:
                error = ErrorEvent(message=outcome.error.message, stage=outcome.error.stage)
        except asyncio.CancelledError:
            stopped = "The run was stopped because its worker shut down."
            error = ErrorEvent(message=stopped, stage="code_generation")
            await asyncio.shield(emit(error))
            raise
        except Exception as exc:
            logger.exception("run %s failed", run_id)
            error = ErrorEvent(message=f"The run failed: {exc}", stage="code_generation")
            await emit(error)
        finally:
            await asyncio.shield(_finish(run_id, emit, outcome, stopped, error))


async def _finish(
    run_id: str,
    emit: RunEmitter,
    outcome: RunOutcome | None,
    stopped: str | None,
    error: ErrorEvent | None,
) -> None:
    ok = outcome is not None and error is None
    # The run's final state is committed before `done` leaves: a client that acts on `done`
    # (saves a template, sends render feedback) must find the run finished.
    await emit.flush()
    try:
        await database_sync_to_async(services.record_outcome)(
            run_id, outcome, cancelled=stopped, error=error
        )
    except Exception:
        logger.exception("could not record the outcome of run %s", run_id)
    await emit(
        CompleteEvent(
            code_complete=bool(ok and outcome is not None and outcome.code_complete),
            data_ready=bool(outcome is not None and outcome.data_ready),
        )
    )


def _model_for(engine: str | None, kind: str) -> Any:
    spec = parse_spec()
    catalog = None
    if kind != "chat":
        return build_chat_model(spec, purpose="ui")
    if spec.provider == "offline":
        from chat.agent.tools import catalog as read_catalog

        try:
            catalog = read_catalog(engine)
        except Exception:
            catalog = []
    return build_chat_model(spec, catalog=catalog)


async def _watch(run_id: str, task: asyncio.Future[Any], runner: AgentRunner) -> str | None:
    """Wait for the run; stop it (and its query) when it must end early. Returns why, or None."""
    started = reported = time.monotonic()
    while True:
        done, _ = await asyncio.wait({task}, timeout=conf.watch_interval_s())
        if done:
            task.result()
            return None
        now = time.monotonic()
        alive = now - reported >= min(5.0, conf.worker_timeout_s() / 4)
        if alive:
            reported = now
        reason = await database_sync_to_async(services.run_watch_state)(
            run_id, conf.orphan_timeout_s(), alive=alive
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


class RunWorkerConsumer(AsyncConsumer):
    """Consumes `vizorch.runs`; each run becomes a task so one worker drives many runs."""

    tasks: set[asyncio.Task[None]]

    async def run_start(self, message: dict[str, Any]) -> None:
        if not hasattr(self, "tasks"):
            self.tasks = set()
        task = asyncio.get_running_loop().create_task(
            _drive_in_slot(str(message["run_id"])), context=contextvars.Context()
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


_slots: asyncio.Semaphore | None = None


async def _drive_in_slot(run_id: str) -> None:
    """Drive a run once one of this worker's run slots is free. Each running run holds a thread
    and a database connection; bounding them keeps a burst of runs from exhausting PostgreSQL's
    connections or queueing every writer on SQLite's lock. Waiting runs stay pending."""
    global _slots
    if _slots is None:
        _slots = asyncio.Semaphore(conf.max_concurrent_runs())
    while True:
        # While it waits, the run is shown as held by a live worker, so its stream does not
        # end it as never picked up.
        await database_sync_to_async(services.mark_queued)(run_id)
        try:
            await asyncio.wait_for(_slots.acquire(), timeout=conf.listener_touch_s())
            break
        except TimeoutError:
            continue
    try:
        await drive_run(run_id)
    finally:
        _slots.release()


def worker_routes() -> dict[str, Any]:
    return {conf.runs_channel(): RunWorkerConsumer.as_asgi()}


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
    from channels.routing import ChannelNameRouter

    worker = Worker(
        application=ChannelNameRouter(worker_routes()),
        channels=[conf.runs_channel()],
        channel_layer=layer,
    )
    loop = asyncio.get_running_loop()
    _embedded = loop.create_task(worker.handle(), context=contextvars.Context())
    _embedded.add_done_callback(_embedded_stopped)
    logger.info("started the embedded run worker")


def _embedded_stopped(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the embedded run worker stopped: %r", task.exception())


async def submit_run(run_id: Any) -> None:
    """Hand a run to a worker."""
    layer = get_channel_layer()
    assert layer is not None
    ensure_embedded_worker()
    await layer.send(conf.runs_channel(), {"type": "run.start", "run_id": str(run_id)})


async def cancel_run(run_id: Any) -> None:
    """Ask the run to stop; a run no worker has picked up yet is ended right here."""
    layer = get_channel_layer()
    assert layer is not None
    for seq, event in await database_sync_to_async(services.request_cancel)(run_id):
        await publish(layer, run_id, seq, event)

"""Who runs next on an engine. Each engine runs at most `VIZORCH_ENGINE_CONCURRENCY` statements at
once in this process; more wait in a queue that is fair across users (round-robin between users,
so one user's backlog never holds up another's, and the last free slot is kept for a user with
nothing running). Each user runs at most `VIZORCH_QUERY_CONCURRENCY` statements at once, counted
across every process when `REDIS_URL` is set (leases in Redis that expire when their process
dies). A direct statement waits at most `VIZORCH_QUERY_MAX_WAIT_S` and then gets `TooManyQueries`
(its user's limit) or `EngineBusy` (the engine's), both with a retry hint; a chat run's
statements wait as long as the run lives. Health probes never come through here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings

from executors.errors import (
    EngineBusy,
    EngineUnavailable,
    ExecutorError,
    QueryCancelled,
    TooManyQueries,
)
from executors.user_slots import LocalUserSlots, RedisUserSlots, UserSlots

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_ENGINE_CONCURRENCY = 4
DEFAULT_USER_CONCURRENCY = 2
DEFAULT_MAX_WAIT_S = 10.0
# A user who already runs a statement on an engine takes another slot there only while this many
# stay free for users who run nothing: two heavy users cannot fill the engine between them.
HEADROOM = 1
# Waiting statements are looked at again this often, to see slots that other processes freed.
POLL_S = 0.2
# A statement waiting this long for its turn is told its place in line (and again as it moves).
WAIT_REPORT_S = 1.0
DEFAULT_RETRY_AFTER_S = 5
MAX_RETRY_AFTER_S = 60
# Granted statements run on threads of their own, so a full engine never starves the event loop's
# default executor, which health checks and short database calls share.
STATEMENT_THREADS = 64


def engine_concurrency(engine: str, own_limit: int | None = None) -> int:
    """Statements `engine` runs at once in this process: VIZORCH_ENGINE_CONCURRENCY (a number
    for every engine, or a JSON object by engine name with an optional "default"), and never
    more than the engine's own limit (the local engine's worker processes)."""
    value: Any = getattr(settings, "VIZORCH_ENGINE_CONCURRENCY", DEFAULT_ENGINE_CONCURRENCY)
    if isinstance(value, dict):
        value = value.get(engine, value.get("default", DEFAULT_ENGINE_CONCURRENCY))
    bound = max(1, int(value))
    return min(bound, max(1, own_limit)) if own_limit is not None else bound


def user_concurrency() -> int:
    return max(1, int(getattr(settings, "VIZORCH_QUERY_CONCURRENCY", DEFAULT_USER_CONCURRENCY)))


def max_wait_s() -> float:
    return float(getattr(settings, "VIZORCH_QUERY_MAX_WAIT_S", DEFAULT_MAX_WAIT_S))


# --- tickets -------------------------------------------------------------------------------------

WAITING, GRANTING, RUNNING, DONE = "waiting", "granting", "running", "done"


@dataclass(eq=False)
class Ticket:
    """One statement's place: waiting in its engine's queue, being granted, running, or done."""

    engine: str
    user: str
    tag: str
    timeout_s: float
    max_wait_s: float
    slots: UserSlots
    lease: str = field(default_factory=lambda: uuid.uuid4().hex)
    submitted: float = field(default_factory=time.monotonic)
    started: float = 0.0
    state: str = WAITING
    error: ExecutorError | None = None
    # Why it is still waiting, for the error when its wait runs out: "engine" or "user".
    blocked_by: str = "engine"
    withdrawn: bool = False
    # Cancelled after it was granted: work that has not begun yet never begins.
    stopped: bool = False
    _event: threading.Event = field(default_factory=threading.Event)
    _futures: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(
        default_factory=list
    )

    @property
    def deadline(self) -> float:
        return self.submitted + self.max_wait_s

    def _wake(self) -> None:
        self._event.set()
        for loop, future in self._futures:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed: nobody waits
                loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass
class _Queue:
    """One engine's waiting tickets by user, in round-robin order, and its running ones."""

    waiting: dict[str, list[Ticket]] = field(default_factory=dict)  # insertion order = turn order
    running: list[Ticket] = field(default_factory=list)
    granting: int = 0
    capacity: int = DEFAULT_ENGINE_CONCURRENCY

    def running_of(self, user: str) -> int:
        return sum(1 for ticket in self.running if ticket.user == user)


class Scheduler:
    """The queues of every engine in this process and the one thread that grants their slots
    (the only caller of the user slots' Redis commands, so no request thread or event loop ever
    waits on Redis)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._queues: dict[str, _Queue] = {}
        self._releases: list[Ticket] = []
        self._dirty = False
        self._thread: threading.Thread | None = None
        self._threads = ThreadPoolExecutor(STATEMENT_THREADS, thread_name_prefix="statement")
        self._backends: dict[tuple[str, str], UserSlots] = {}

    # --- what callers use ------------------------------------------------------------------------

    def submit(
        self,
        engine: str,
        user: str,
        *,
        tag: str,
        timeout_s: float,
        max_wait_s: float,
        capacity: int | None = None,
    ) -> Ticket:
        """Queue a statement of `user` on `engine`, which runs `capacity` statements at once (by
        default `engine_concurrency(engine)`); wait for it with `wait`, `await_turn` or run it
        with `run`/`arun`."""
        ticket = Ticket(
            engine=engine,
            user=user,
            tag=tag,
            timeout_s=timeout_s,
            max_wait_s=max_wait_s,
            slots=self._user_slots(),
        )
        with self._lock:
            queue = self._queues.setdefault(engine, _Queue())
            queue.capacity = engine_concurrency(engine) if capacity is None else capacity
            queue.waiting.setdefault(user, []).append(ticket)
            self._poke()
        return ticket

    def wait(self, ticket: Ticket) -> None:
        """Block this thread until the ticket runs; raise when it fails or its wait runs out."""
        while not ticket._event.wait(timeout=_remaining(ticket)):
            if self._expire(ticket):
                break
        self._outcome(ticket)

    async def await_turn(
        self, ticket: Ticket, on_wait: Callable[[int], None] | None = None
    ) -> None:
        """`wait` for a coroutine: no thread is held while it waits; cancelling the coroutine
        takes the ticket out of the queue (or gives its slot back). A statement still waiting
        after WAIT_REPORT_S is told its place in line through `on_wait` (1 = next), and again
        whenever that place changes."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            ticket._futures.append((loop, future))
            if ticket._event.is_set():
                future.set_result(None)
        reported = 0
        try:
            while True:
                timeout = _remaining(ticket)
                if on_wait is not None:
                    timeout = min(timeout, WAIT_REPORT_S)
                try:
                    await asyncio.wait_for(asyncio.shield(future), timeout)
                    break
                except TimeoutError:
                    if time.monotonic() >= ticket.deadline and self._expire(ticket):
                        break
                    place = self.place(ticket)
                    if on_wait is not None and place and place != reported:
                        reported = place
                        on_wait(place)
        except asyncio.CancelledError:
            self.withdraw(ticket)
            raise
        self._outcome(ticket)

    def release(self, ticket: Ticket) -> None:
        """The statement is over: free its engine slot now and its user slot in the dispatcher."""
        with self._lock:
            queue = self._queues.get(ticket.engine)
            if ticket.state == RUNNING and queue is not None and ticket in queue.running:
                queue.running.remove(ticket)
                self._releases.append(ticket)
            ticket.state = DONE
            self._poke()

    def withdraw(self, ticket: Ticket) -> None:
        """The caller no longer wants the ticket, whatever state it is in."""
        with self._lock:
            if ticket.state == WAITING:
                self._unqueue(ticket)
                ticket.state = DONE
            elif ticket.state == GRANTING:
                ticket.withdrawn = True  # the dispatcher gives the slot back
                return
        if ticket.state == RUNNING:
            self.release(ticket)

    def cancel(self, tag: str) -> bool:
        """End every waiting statement under `tag` with `QueryCancelled`; True when one was."""
        found = False
        with self._lock:
            for queue in self._queues.values():
                for tickets in list(queue.waiting.values()):
                    for ticket in [t for t in tickets if t.tag == tag]:
                        self._fail(ticket, QueryCancelled("The query was cancelled."))
                        found = True
        return found

    def stop_running(self, tag: str) -> bool:
        """Mark the granted statements under `tag` stopped, so that one whose work has not begun
        yet never begins; True while one of them still holds its slot (its work may have begun
        before its engine can be told: between the grant and the engine's own bookkeeping)."""
        with self._lock:
            running = [t for q in self._queues.values() for t in q.running if t.tag == tag]
            for ticket in running:
                ticket.stopped = True
        return bool(running)

    def is_running(self, tag: str) -> bool:
        with self._lock:
            return any(t.tag == tag for q in self._queues.values() for t in q.running)

    def run(self, ticket: Ticket, work: Callable[[], T]) -> T:
        """Wait for the ticket in this thread, then run `work` holding its slot."""
        self.wait(ticket)
        try:
            _go_on(ticket)
            return work()
        finally:
            self.release(ticket)

    async def arun(
        self,
        ticket: Ticket,
        work: Callable[[], T],
        on_wait: Callable[[int], None] | None = None,
    ) -> T:
        """Wait without holding a thread (told its place through `on_wait`), then run `work` on
        a statement thread. The slot is given back when `work` ends, even if the awaiting
        coroutine was cancelled first: a statement keeps its slot until the engine has really
        stopped it."""
        await self.await_turn(ticket, on_wait)

        def body() -> T:
            try:
                _go_on(ticket)
                return work()
            finally:
                self.release(ticket)

        try:
            future = asyncio.get_running_loop().run_in_executor(self._threads, body)
        except BaseException:
            self.release(ticket)
            raise
        future.add_done_callback(_consume)
        return await asyncio.shield(future)

    def place(self, ticket: Ticket) -> int:
        """A waiting statement's place in its engine's line (1 = next), 0 once it is not
        waiting: the statements of that engine waiting since before it, plus itself."""
        with self._lock:
            queue = self._queues.get(ticket.engine)
            if queue is None or ticket.state != WAITING:
                return 0
            return 1 + sum(
                1
                for tickets in queue.waiting.values()
                for other in tickets
                if other.submitted < ticket.submitted
            )

    def snapshot(self, engine: str) -> tuple[int, int]:
        """(running, waiting) statements of `engine` in this process."""
        with self._lock:
            queue = self._queues.get(engine) or _Queue()
            return len(queue.running), sum(len(t) for t in queue.waiting.values())

    # --- inside ----------------------------------------------------------------------------------

    def _user_slots(self) -> UserSlots:
        """Redis-backed slots when `REDIS_URL` is set, else this process's own; one backend per
        Redis URL and key prefix (tests change them)."""
        url = getattr(settings, "REDIS_URL", None) or ""
        prefix = getattr(settings, "VIZORCH_CHANNEL_PREFIX", None) or "vizorch"
        with self._lock:
            backend = self._backends.get((url, prefix))
            if backend is None:
                backend = RedisUserSlots(url, prefix) if url else LocalUserSlots()
                self._backends[(url, prefix)] = backend
            return backend

    def _poke(self) -> None:
        """Wake the dispatcher (lock held)."""
        self._dirty = True
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._dispatch_forever, name="engine-scheduler", daemon=True
            )
            self._thread.start()
        self._lock.notify_all()

    def _unqueue(self, ticket: Ticket) -> None:
        queue = self._queues[ticket.engine]
        tickets = queue.waiting.get(ticket.user, [])
        if ticket in tickets:
            tickets.remove(ticket)
        if not tickets:
            queue.waiting.pop(ticket.user, None)

    def _fail(self, ticket: Ticket, error: ExecutorError) -> None:
        """(lock held)"""
        if ticket.state in (WAITING, GRANTING):
            self._unqueue(ticket)
        ticket.state = DONE
        ticket.error = error
        ticket._wake()

    def _expire(self, ticket: Ticket) -> bool:
        """The ticket's wait ran out: fail it unless it was granted meanwhile. True when the
        ticket's outcome is settled."""
        if math.isinf(ticket.max_wait_s):
            return False
        with self._lock:
            if ticket.state == WAITING:
                self._fail(ticket, self._busy_error(ticket))
                return True
            return ticket.state in (RUNNING, DONE)

    def _outcome(self, ticket: Ticket) -> None:
        if ticket.error is not None:
            raise ticket.error
        if ticket.state != RUNNING:
            raise QueryCancelled("The query was cancelled.")

    def _busy_error(self, ticket: Ticket) -> ExecutorError:
        """(lock held)"""
        queue = self._queues[ticket.engine]
        waited = time.monotonic() - ticket.submitted
        if ticket.blocked_by == "user":
            mine = [t for q in self._queues.values() for t in q.running if t.user == ticket.user]
            retry = _retry_after(mine)
            return TooManyQueries(
                f"You already have {user_concurrency()} queries running; this one waited "
                f"{waited:.0f}s for one of them to finish. Try again in {retry}s.",
                retry_after=retry,
            )
        retry = _retry_after(queue.running)
        return EngineBusy(
            f"Engine {ticket.engine!r} is busy: all {queue.capacity} of its "
            f"query slots stayed taken for {waited:.0f}s. Try again in {retry}s.",
            retry_after=retry,
        )

    def _dispatch_forever(self) -> None:
        while True:
            with self._lock:
                if not self._dirty:
                    waiting = any(queue.waiting for queue in self._queues.values())
                    self._lock.wait(timeout=POLL_S if waiting else 1.0)
                self._dirty = False
                releases, self._releases = self._releases, []
            for ticket in releases:
                try:
                    ticket.slots.release(ticket.user, ticket.lease)
                except Exception:  # the lease expires by itself
                    logger.warning("could not release a query slot of %s", ticket.user)
            try:
                self._dispatch()
            except Exception:
                logger.exception("the engine scheduler failed a pass")
            self._renew_quietly()

    def _renew_quietly(self) -> None:
        with self._lock:
            backends = list(self._backends.values())
        for backend in backends:
            try:
                backend.renew()
            except Exception:
                logger.warning("could not renew query slot leases", exc_info=True)

    def _dispatch(self) -> None:
        """Grant as many waiting tickets as the engines and users allow, one at a time in
        round-robin order; the user-slot check (maybe a Redis call) happens outside the lock."""
        skip: set[tuple[str, str]] = set()
        while True:
            with self._lock:
                ticket = self._next(skip)
                if ticket is None:
                    return
                ticket.state = GRANTING
                queue = self._queues[ticket.engine]
                queue.granting += 1
            error: ExecutorError | None = None
            try:
                acquired = ticket.slots.try_acquire(ticket.user, ticket.lease, user_concurrency())
            except Exception as exc:
                acquired = False
                error = EngineUnavailable(f"The query scheduler cannot reach Redis: {exc}")
            give_back = False
            with self._lock:
                queue.granting -= 1
                if ticket.state != GRANTING or ticket.withdrawn:
                    # Cancelled, withdrawn or failed while its slot was being checked.
                    if ticket.state == GRANTING:
                        self._unqueue(ticket)
                        ticket.state = DONE
                    give_back = acquired
                elif error is not None:
                    self._fail(ticket, error)
                elif not acquired:
                    ticket.state = WAITING
                    self._mark_blocked(queue, ticket.user, "user")
                    skip.add((ticket.engine, ticket.user))
                else:
                    self._unqueue(ticket)
                    # Round-robin: a user who just got a slot goes to the back of the line.
                    if ticket.user in queue.waiting:
                        queue.waiting[ticket.user] = queue.waiting.pop(ticket.user)
                    ticket.state = RUNNING
                    ticket.started = time.monotonic()
                    queue.running.append(ticket)
                    ticket._wake()
            if give_back:
                with contextlib.suppress(Exception):
                    ticket.slots.release(ticket.user, ticket.lease)

    def _mark_blocked(self, queue: _Queue, user: str, reason: str) -> None:
        for ticket in queue.waiting.get(user, []):
            ticket.blocked_by = reason

    def _next(self, skip: set[tuple[str, str]]) -> Ticket | None:
        """The first user's first ticket, in turn order, that its engine and its user have room
        for (lock held)."""
        limit = user_concurrency()
        mine: dict[str, int] = {}
        for queue in self._queues.values():
            for running in queue.running:
                mine[running.user] = mine.get(running.user, 0) + 1
        for engine, queue in self._queues.items():
            capacity = queue.capacity
            for user, tickets in queue.waiting.items():
                if (engine, user) in skip or not tickets:
                    continue
                free = capacity - len(queue.running) - queue.granting
                if mine.get(user, 0) >= limit:
                    self._mark_blocked(queue, user, "user")
                    continue
                if free <= 0 or (queue.running_of(user) and free <= HEADROOM < capacity):
                    self._mark_blocked(queue, user, "engine")
                    continue
                return tickets[0]
        return None


def _go_on(ticket: Ticket) -> None:
    if ticket.stopped:
        raise QueryCancelled("The query was cancelled.")


def _remaining(ticket: Ticket) -> float:
    """How long to sleep before looking at the ticket's wait again. Never zero: a ticket whose
    wait ran out while its slot was being granted is looked at again shortly, not in a spin."""
    if math.isinf(ticket.max_wait_s):
        return 1.0  # only a grant, a failure or a cancel ends this wait
    return max(0.01, ticket.deadline - time.monotonic())


def _retry_after(running: list[Ticket]) -> int:
    """Seconds until the first of these statements must have ended (its timeout), bounded."""
    now = time.monotonic()
    ends = [t.started + t.timeout_s - now for t in running if t.started]
    if not ends:
        return DEFAULT_RETRY_AFTER_S
    return max(1, min(MAX_RETRY_AFTER_S, math.ceil(min(ends))))


def _consume(future: asyncio.Future[Any]) -> None:
    """Nobody may await a statement whose caller was cancelled; read its outcome so asyncio does
    not log it as never retrieved."""
    if not future.cancelled():
        future.exception()


_scheduler = Scheduler()


def scheduler() -> Scheduler:
    return _scheduler

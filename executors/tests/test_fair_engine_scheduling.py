"""The engine scheduler: a bound per engine, a fair queue across users, the last slot kept for a
newcomer, bounded waits that end in 429/503 for direct statements and unbounded ones for chat
runs, cancel of a queued statement, and the per-user limit held in Redis across processes (with
leases that a killed process gives up)."""

from __future__ import annotations

import asyncio
import math
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from executors import services
from executors.engines.base import QueryLimits
from executors.errors import EngineBusy, QueryCancelled, TooManyQueries
from executors.scheduling import RedisUserSlots, Scheduler
from executors.tests.slots import Held, held_slots, hold
from vizorch_site.testing import BASE_DIR

# Runs for hours on the demo data unless stopped.
RUNAWAY = (
    "SELECT count(*) FROM order_items a, order_items b, order_items c "
    "WHERE a.sales + b.sales + c.sales < 0"
)


@pytest.fixture
def scheduler(settings: Any) -> Scheduler:
    """A scheduler of its own (not the process-wide one), counting users in this process."""
    settings.REDIS_URL = None
    settings.VIZORCH_ENGINE_CONCURRENCY = 4
    settings.VIZORCH_QUERY_CONCURRENCY = 2
    return Scheduler()


def started_in_order(starts: queue.Queue[str], count: int) -> list[str]:
    return [starts.get(timeout=30) for _ in range(count)]


def eventually(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


async def aeventually(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


def wait_started(*statements: Held) -> None:
    for statement in statements:
        assert statement.started.wait(timeout=30), f"{statement.label} never got a slot"


def test_a_users_backlog_does_not_hold_up_another_users_statement(
    scheduler: Scheduler, settings: Any
) -> None:
    settings.VIZORCH_QUERY_CONCURRENCY = 10
    backlog = [hold(scheduler, "local", "alice", f"alice-{i}") for i in range(6)]
    wait_started(*backlog[:3])
    bob = hold(scheduler, "local", "bob")
    try:
        wait_started(bob)
        # Alice has three running and three queued; Bob, who came last, did not queue behind them.
        assert scheduler.snapshot("local") == (4, 3)
        assert [s.started.is_set() for s in backlog] == [True, True, True, False, False, False]
    finally:
        for statement in [*backlog, bob]:
            statement.finish()
    assert all(s.error is None for s in [*backlog, bob])


def test_slots_go_round_robin_between_waiting_users(scheduler: Scheduler, settings: Any) -> None:
    settings.VIZORCH_ENGINE_CONCURRENCY = 1
    settings.VIZORCH_QUERY_CONCURRENCY = 5
    starts: queue.Queue[str] = queue.Queue()
    first = hold(scheduler, "local", "alice", "alice-1", starts=starts)
    assert started_in_order(starts, 1) == ["alice-1"]
    statements = {"alice-1": first}
    for label in ["alice-2", "alice-3", "alice-4", "bob-1", "bob-2", "carol-1"]:
        statements[label] = hold(scheduler, "local", label.split("-")[0], label, starts=starts)
        time.sleep(0.05)  # submitted in this order
    order = []
    running = first
    for _ in range(6):
        running.finish()
        (label,) = started_in_order(starts, 1)
        order.append(label)
        running = statements[label]
    running.finish()
    assert order == ["alice-2", "bob-1", "carol-1", "alice-3", "bob-2", "alice-4"]


def test_the_last_free_slot_is_kept_for_a_user_with_nothing_running(
    scheduler: Scheduler,
) -> None:
    alice = [hold(scheduler, "local", "alice", f"alice-{i}") for i in range(2)]
    bob = [hold(scheduler, "local", "bob", f"bob-{i}") for i in range(2)]
    try:
        wait_started(*alice, bob[0])
        # Three of four slots are taken; bob already runs one, so the fourth waits for others.
        assert scheduler.snapshot("local") == (3, 1)
        carol = hold(scheduler, "local", "carol")
        wait_started(carol)
        assert not bob[1].started.is_set()
        carol.finish()
        alice[0].finish()
        wait_started(bob[1])
    finally:
        for statement in [*alice, *bob]:
            statement.finish()


def test_engines_have_separate_bounds(scheduler: Scheduler, settings: Any) -> None:
    settings.VIZORCH_ENGINE_CONCURRENCY = {"default": 1, "spark": 2}
    settings.VIZORCH_QUERY_CONCURRENCY = 5
    with held_slots(scheduler, "local", "alice", 1):
        spark = [hold(scheduler, "spark", user) for user in ("bob", "carol")]
        try:
            wait_started(*spark)
            assert scheduler.snapshot("local") == (1, 0)
        finally:
            for statement in spark:
                statement.finish()


def test_a_direct_statement_over_its_users_limit_gets_429_after_its_wait(
    scheduler: Scheduler,
) -> None:
    with held_slots(scheduler, "local", "alice", 2):
        late = hold(scheduler, "local", "alice", max_wait_s=0.2)
        late.thread.join(timeout=30)  # type: ignore[union-attr]
        assert not late.started.is_set()
    assert isinstance(late.error, TooManyQueries)
    assert late.error.kind == "busy"  # 429 with Retry-After, by vizorch_site.errors
    assert (late.error.retry_after or 0) >= 1
    assert "2 queries running" in late.error.message


def test_a_direct_statement_on_a_full_engine_gets_503_after_its_wait(
    scheduler: Scheduler, settings: Any
) -> None:
    settings.VIZORCH_ENGINE_CONCURRENCY = 2
    with held_slots(scheduler, "local", "alice", 1), held_slots(scheduler, "local", "bob", 1):
        late = hold(scheduler, "local", "carol", max_wait_s=0.2)
        late.thread.join(timeout=30)  # type: ignore[union-attr]
    assert isinstance(late.error, EngineBusy)
    assert late.error.kind == "unavailable"  # 503 with Retry-After
    assert (late.error.retry_after or 0) >= 1
    assert "'local' is busy" in late.error.message
    assert scheduler.snapshot("local") == (0, 0)


def test_a_run_statement_waits_past_any_direct_wait_and_then_runs(
    scheduler: Scheduler, settings: Any
) -> None:
    settings.VIZORCH_QUERY_MAX_WAIT_S = 0.2
    with held_slots(scheduler, "local", "alice", 2) as running:
        patient = hold(scheduler, "local", "alice", max_wait_s=math.inf)
        time.sleep(1.0)  # five times what a direct statement may wait
        assert not patient.started.is_set() and patient.error is None
        running[0].finish()
        wait_started(patient)
        patient.finish()
    assert patient.error is None


def test_cancel_takes_a_waiting_statement_out_of_the_queue(scheduler: Scheduler) -> None:
    with held_slots(scheduler, "local", "alice", 2):
        queued = hold(scheduler, "local", "alice", "queued-one")
        time.sleep(0.2)
        assert scheduler.cancel("queued-one")
        queued.thread.join(timeout=30)  # type: ignore[union-attr]
        assert isinstance(queued.error, QueryCancelled)
        assert scheduler.snapshot("local") == (2, 0)
    assert not scheduler.cancel("queued-one")


async def test_waiting_statements_hold_no_thread(scheduler: Scheduler, settings: Any) -> None:
    settings.VIZORCH_QUERY_CONCURRENCY = 100
    settings.VIZORCH_ENGINE_CONCURRENCY = 1
    with held_slots(scheduler, "local", "alice", 1) as (running,):
        # Far more waiters than the event loop's default executor has threads.
        tickets = [
            scheduler.submit("local", f"user-{i}", tag=f"t{i}", timeout_s=30, max_wait_s=60)
            for i in range(50)
        ]
        waiters = [asyncio.ensure_future(scheduler.await_turn(t)) for t in tickets]
        await asyncio.sleep(0.3)
        loop = asyncio.get_running_loop()
        assert await asyncio.wait_for(loop.run_in_executor(None, lambda: 42), timeout=30) == 42
        assert not any(waiter.done() for waiter in waiters)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        assert scheduler.snapshot("local") == (1, 0)
        running.finish()


async def test_a_cancelled_async_statement_keeps_its_slot_until_its_work_ends(
    scheduler: Scheduler, settings: Any
) -> None:
    settings.VIZORCH_ENGINE_CONCURRENCY = 1
    started, release = threading.Event(), threading.Event()

    def work() -> str:
        started.set()
        release.wait(timeout=60)
        return "done"

    ticket = scheduler.submit("local", "alice", tag="t", timeout_s=30, max_wait_s=5)
    task = asyncio.ensure_future(scheduler.arun(ticket, work))
    await aeventually(started.is_set)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The engine has not stopped the work yet: its slot is still taken.
    assert scheduler.snapshot("local") == (1, 0)
    release.set()
    await aeventually(lambda: scheduler.snapshot("local") == (0, 0))


def test_a_statement_cancelled_between_its_grant_and_its_work_never_starts(
    scheduler: Scheduler,
) -> None:
    ran: list[str] = []
    ticket = scheduler.submit("local", "alice", tag="granted", timeout_s=30, max_wait_s=5)
    scheduler.wait(ticket)  # granted: no longer in the queue that `cancel` empties
    assert not scheduler.cancel("granted")
    assert scheduler.stop_running("granted")
    with pytest.raises(QueryCancelled):
        scheduler.run(ticket, lambda: ran.append("work"))
    assert ran == [] and scheduler.snapshot("local") == (0, 0)
    assert not scheduler.stop_running("granted")


@pytest.mark.django_db
def test_a_cancel_that_comes_before_the_engine_knows_its_statement_still_stops_it(
    executor_settings: Any,
) -> None:
    """The window between a statement's grant and its engine's own bookkeeping: the engine is
    told as soon as it knows the statement, which then ends cancelled, not at its timeout."""
    from executors import registry, scheduling

    engine = registry.get_engine("local")
    ticket = scheduling.scheduler().submit("local", "-", tag="late", timeout_s=600, max_wait_s=5)
    scheduling.scheduler().wait(ticket)
    try:
        assert not engine.cancel("late")  # the engine has not heard of it yet
        assert services.cancel_query("late", engine_name="local")
        # Work that had begun before the cancel reached the scheduler: the engine stops it.
        with pytest.raises(QueryCancelled):
            engine.run(RUNAWAY, limits=QueryLimits(timeout_s=600), tag="late")
    finally:
        scheduling.scheduler().release(ticket)


@pytest.mark.django_db
def test_a_queued_query_is_cancelled_through_the_service(executor_settings: Any) -> None:
    from executors import scheduling

    executor_settings.VIZORCH_QUERY_CONCURRENCY = 1
    outcome: list[BaseException] = []
    with held_slots(scheduling.scheduler(), "local", "-", 1):
        statement = hold(scheduling.scheduler(), "local", "-", "not-yet")
        time.sleep(0.2)
        assert services.cancel_query("not-yet")
        statement.thread.join(timeout=30)  # type: ignore[union-attr]
        if statement.error is not None:
            outcome.append(statement.error)
    assert len(outcome) == 1 and isinstance(outcome[0], QueryCancelled)


# --- across processes (Redis) ----------------------------------------------------------------


@pytest.fixture
def redis_scheduler(settings: Any, redis_url: str) -> Scheduler:
    """A scheduler that counts users in the real Redis, under a key prefix of this test."""
    settings.REDIS_URL = redis_url
    settings.VIZORCH_CHANNEL_PREFIX = f"vizorch-test-{uuid.uuid4().hex[:12]}"
    settings.VIZORCH_ENGINE_CONCURRENCY = 4
    settings.VIZORCH_QUERY_CONCURRENCY = 2
    return Scheduler()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from executors.scheduling import RedisUserSlots
    url, prefix, user, ttl = sys.argv[1:5]
    slots = RedisUserSlots(url, prefix, ttl_s=float(ttl))
    assert slots.try_acquire(user, "elsewhere-1", 2) and slots.try_acquire(user, "elsewhere-2", 2)
    print("READY", flush=True)
    while True:
        slots.renew()
        time.sleep(0.05)
    """
)


@pytest.fixture
def other_process(settings: Any, redis_url: str) -> Iterator[Any]:
    """Start another process that takes both of a user's slots in Redis and keeps them."""
    processes: list[subprocess.Popen[str]] = []

    def start(user: str, ttl_s: float) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                HOLDER,
                redis_url,
                settings.VIZORCH_CHANNEL_PREFIX,
                user,
                str(ttl_s),
            ],
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "READY"
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=10)


def test_the_per_user_limit_holds_across_processes(
    redis_scheduler: Scheduler, other_process: Any, settings: Any
) -> None:
    other_process("alice", 10.0)
    late = hold(redis_scheduler, "local", "alice", max_wait_s=0.5)
    bob = hold(redis_scheduler, "local", "bob")
    try:
        wait_started(bob)
        late.thread.join(timeout=30)  # type: ignore[union-attr]
        assert isinstance(late.error, TooManyQueries)
        slots = RedisUserSlots(settings.REDIS_URL, settings.VIZORCH_CHANNEL_PREFIX)
        assert slots.running("alice") == 2 and slots.running("bob") == 1
    finally:
        bob.finish()
    eventually(lambda: slots.running("bob") == 0)


def test_a_killed_process_gives_its_users_slots_back(
    redis_scheduler: Scheduler, other_process: Any
) -> None:
    holder = other_process("alice", 1.0)
    patient = hold(redis_scheduler, "local", "alice", max_wait_s=math.inf)
    try:
        time.sleep(3.0)  # three lease lifetimes: the holder's renewals keep its slots
        assert not patient.started.is_set()
        holder.kill()
        wait_started(patient)
    finally:
        patient.finish()
    assert patient.error is None

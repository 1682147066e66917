"""Statements that hold an engine slot until the test lets them go: work that blocks on an event,
run through the real scheduler (its queue, its user slots) in a thread of its own."""

from __future__ import annotations

import contextlib
import math
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from executors.scheduling import Scheduler, Ticket


@dataclass
class Held:
    """One statement: `started` is set once it has its slot; `finish()` lets it end."""

    label: str
    ticket: Ticket
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def finish(self) -> None:
        self.release.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    @property
    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()


def hold(
    scheduler: Scheduler,
    engine: str,
    user: str,
    label: str = "",
    *,
    max_wait_s: float = math.inf,
    starts: queue.Queue[str] | None = None,
) -> Held:
    """Submit a statement for `user` on `engine` and run it in a thread; it holds its slot until
    `finish()`. `starts` receives its label when it gets the slot."""
    ticket = scheduler.submit(engine, user, tag=label or user, timeout_s=60, max_wait_s=max_wait_s)
    held = Held(label or user, ticket)

    def work() -> None:
        held.started.set()
        if starts is not None:
            starts.put(held.label)
        held.release.wait(timeout=120)

    def body() -> None:
        try:
            scheduler.run(ticket, work)
        except BaseException as exc:
            held.error = exc

    held.thread = threading.Thread(target=body, daemon=True)
    held.thread.start()
    return held


@contextlib.contextmanager
def held_slots(scheduler: Scheduler, engine: str, user: str, count: int) -> Iterator[list[Held]]:
    """`count` running statements of `user` on `engine` for the duration of the block."""
    statements = [hold(scheduler, engine, user, f"{user}-{i}") for i in range(count)]
    try:
        for statement in statements:
            assert statement.started.wait(timeout=30), f"{statement.label} never got a slot"
        yield statements
    finally:
        for statement in statements:
            statement.finish()

"""The garbage collector of a serving process (daphne, a run worker).

Python's cycle collector runs its youngest generation every 700 net allocations and, now and
then, walks every object the process holds: after start-up that is Django, the apps, DuckDB's and
LangChain's modules, a few hundred thousand objects that never become garbage. A burst of
requests allocates fast, so it paid for many such walks (200 streams started at once: first
event p99 1.14 s, 0.92-0.96 s with this and opt-in query logging). So: what start-up built is
frozen out of the collector's walks (`gc.freeze`), and the youngest generation is collected every
20,000 net allocations; reference counting still frees everything that is not a cycle at once."""

from __future__ import annotations

import gc

YOUNGEST = 20_000
MIDDLE = 50
OLDEST = 100


def tune_for_serving() -> None:
    """Call once the process has imported and built what it serves with."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNGEST, MIDDLE, OLDEST)

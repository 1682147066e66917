"""Stream starts come before a process's background database work.

A stream's first frame is what an analyst waits on; the in-process run worker's work (taking
runs into its queue, telling each its place, starting the next) can wait a moment. On the
embedded defaults both share one GIL and the same database lanes, so during a burst of stream
starts the worker's writes sat between the starts on the lanes. The handler counts the stream
starts in flight; the worker (before taking runs into its queue) and a new stream (before its
first read of the run's log) wait for a moment without any, for a bounded time so that a steady
stream of starts cannot starve them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

# The longest the worker defers its work for stream starts, each time it looks.
MOST_DEFERRAL_S = 1.0


class StreamStarts:
    def __init__(self) -> None:
        self._in_flight = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @contextlib.asynccontextmanager
    async def starting(self) -> AsyncIterator[None]:
        """The block of a stream request up to its first frame."""
        self._in_flight += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._quiet.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def quiet(self, most_s: float = MOST_DEFERRAL_S) -> float:
        """Wait until no stream start is in flight, for at most `most_s`; the time waited."""
        if self._in_flight == 0:
            return 0.0
        began = time.monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(most_s):
                await self._quiet.wait()
        return time.monotonic() - began


stream_starts = StreamStarts()

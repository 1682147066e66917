"""Stream starts come first: background work waits for a moment without one in flight, but
never longer than its bound, so a steady flow of starts cannot starve it."""

from __future__ import annotations

import asyncio

from core.starts import StreamStarts


def test_background_work_goes_on_at_once_without_stream_starts() -> None:
    async def scenario() -> float:
        return await StreamStarts().quiet(most_s=5.0)

    assert asyncio.run(scenario()) == 0.0


def test_background_work_waits_for_the_last_start_of_a_burst() -> None:
    async def scenario() -> list[str]:
        starts, seen = StreamStarts(), []
        first, second = asyncio.Event(), asyncio.Event()

        async def start(name: str, done: asyncio.Event) -> None:
            async with starts.starting():
                await done.wait()
                seen.append(f"{name} started")

        async def background() -> None:
            await starts.quiet(most_s=5.0)
            seen.append("background")

        tasks = [
            asyncio.ensure_future(start("one", first)),
            asyncio.ensure_future(start("two", second)),
        ]
        await asyncio.sleep(0)
        waiting = asyncio.ensure_future(background())
        first.set()
        await asyncio.sleep(0.05)
        assert starts.in_flight == 1 and not waiting.done()
        second.set()
        await asyncio.gather(*tasks, waiting)
        return seen

    assert asyncio.run(scenario()) == ["one started", "two started", "background"]


def test_background_work_is_deferred_for_a_bounded_time_only() -> None:
    async def scenario() -> tuple[float, int]:
        starts = StreamStarts()
        release = asyncio.Event()

        async def endless_start() -> None:
            async with starts.starting():
                await release.wait()

        task = asyncio.ensure_future(endless_start())
        await asyncio.sleep(0)
        waited = await starts.quiet(most_s=0.2)
        in_flight = starts.in_flight
        release.set()
        await task
        return waited, in_flight

    waited, in_flight = asyncio.run(scenario())
    assert in_flight == 1  # it went on while the start was still in flight
    assert waited >= 0.2

"""A run worker that stops in the middle of a burst, on PostgreSQL + Redis with a second worker
running: killed (SIGKILL, its runs taken over once it has been silent for the worker timeout) or
told to stop (SIGTERM, its runs handed over at once). Counts the runs and events lost or
repeated across the handover."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass

from bench.fig_chat import PROMPT, lost_events, repeated_events
from bench.report import Figure, Row
from bench.server import BenchServer, bench_server, start_worker, stop_worker
from bench.sse import Stream, read_stream
from bench.stats import Summary, ms, spread_ms
from vizorch_site.testing import runs_held_by_worker

STREAMS = 40
# The worker timeout after which a silent worker's runs are taken over (a deployment setting;
# 60 s by default, short here so the killed case ends within the bench's budget).
WORKER_TIMEOUT_S = 5
BURST_TIMEOUT_S = 120.0
ENV = {
    "VIZORCH_RUN_WORKER_TIMEOUT_S": str(WORKER_TIMEOUT_S),
    # SIGTERM hands running runs over at once instead of finishing them first.
    "VIZORCH_RUN_DRAIN_S": "0",
}


@dataclass
class Handover:
    how: str
    streams: list[Stream]
    held: int  # runs the stopped worker held (queued or running) when it was stopped
    exit_code: int | None


async def _burst_with_a_stop(
    server: BenchServer, database_url: str, how: signal.Signals, count: int
) -> Handover:
    import httpx

    victim = server.worker
    assert victim is not None
    async with httpx.AsyncClient(
        base_url=server.url,
        headers=server.auth,
        timeout=httpx.Timeout(60.0, read=BURST_TIMEOUT_S),
        limits=httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10),
    ) as client:
        for _ in range(2):  # both workers warm (engine open, model loaded)
            await read_stream(client, "POST", "/api/chat", json={"prompt": PROMPT}, timeout_s=60)
        burst = asyncio.gather(
            *(
                read_stream(
                    client, "POST", "/api/chat", json={"prompt": PROMPT}, timeout_s=BURST_TIMEOUT_S
                )
                for _ in range(count)
            )
        )
        # Stopped once it drives runs and holds a fair share of the burst (or the burst is
        # nearly through), so the handover has runs in flight and in line.
        held = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not burst.done():
            running, queued = await asyncio.to_thread(runs_held_by_worker, database_url, victim.pid)
            held = running + queued
            if running and held >= count // 4:
                break
            await asyncio.sleep(0.02)
        victim.send_signal(how)
        streams = await burst
    exit_code = await asyncio.to_thread(victim.wait, 60)
    return Handover(how.name, list(streams), held, exit_code)


def handover_figure(var_dir: object, database_url: str, redis_url: str) -> Figure:
    figure = Figure(
        key="handover",
        title="A run worker stopped in the middle of a burst (PostgreSQL + Redis, two workers)",
        method=(
            f"{STREAMS} `POST /api/chat` requests ({PROMPT!r}) started at once against daphne "
            "with two separate run workers; once the first worker drives runs and holds a "
            f"quarter of them ({STREAMS // 4}, queued or running) it is stopped: SIGKILL (it "
            "says nothing; the other takes its runs over once it has been "
            f"silent for VIZORCH_RUN_WORKER_TIMEOUT_S = {WORKER_TIMEOUT_S} s) or SIGTERM (it "
            "releases its queued and running runs and tells the other, with VIZORCH_RUN_DRAIN_S "
            "= 0, no grace). A taken-over run is driven again from its start and what its log "
            "holds is not written twice. Lost and repeated events are counted from the seq ids, "
            "as in the burst figure."
        ),
    )
    for how in (signal.SIGKILL, signal.SIGTERM):
        with bench_server(
            var_dir,  # type: ignore[arg-type]
            database_url=database_url,
            redis_url=redis_url,
            extra_env=ENV,
        ) as server:
            second = start_worker(server.live, "-second")
            try:
                result = asyncio.run(_burst_with_a_stop(server, database_url, how, STREAMS))
            finally:
                stop_worker(second)
        figure.rows += _rows(result)
    return figure


def _rows(result: Handover) -> list[Row]:
    streams = result.streams
    completed = [s for s in streams if s.done and not s.error]
    errors = [s for s in streams if s.error or any(e.name == "error" for e in s.events)]
    lost = sum(lost_events(s) for s in streams)
    repeated = sum(repeated_events(s) for s in streams)
    to_done = Summary.of([s.events[-1].at - s.started for s in completed])
    count = len(streams)
    how = result.how
    rows = [
        Row(f"{how}: runs complete (`done`, no error)", f"{len(completed)} / {count}",
            target=f"{count} / {count}", met=len(completed) == count and not errors),
        Row(f"{how}: lost / repeated events", f"{lost} / {repeated}", target="0 / 0",
            met=lost == 0 and repeated == 0),
        Row(f"{how}: runs the stopped worker held (queued or running)", str(result.held)),
        Row(f"{how}: request to done, median and spread", spread_ms(to_done)),
        Row(f"{how}: slowest request to done", ms(to_done.high)),
    ]  # fmt: skip
    if how == "SIGTERM":
        rows.append(
            Row("SIGTERM: the stopped worker's exit status", str(result.exit_code), target="0",
                met=result.exit_code == 0)
        )  # fmt: skip
    return rows

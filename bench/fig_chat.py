"""Chat figures: time to the first SSE event of POST /api/chat (vs GET /ping on the same server),
the end-to-end "sales by region" run (vs the same SQL on DuckDB), and 200 concurrent streams."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx

from bench.report import Figure, Row
from bench.server import BenchServer, rss_bytes
from bench.sse import Event, Stream, burst_request, read_stream
from bench.stats import Summary, ms, ratio, size, spread_ms

PROMPT = "Show total sales by region"
STREAM_TIMEOUT_S = 120.0
# Pause after each run's `done` so the next request does not meet that run's last writes (a
# person reads the chart before asking again).
SETTLE_S = 0.2
# The burst is cut off after this long (streams not done by then count as incomplete), so the
# whole suite stays within its time budget.
BURST_TIMEOUT_S = 120.0


@dataclass
class ChatRuns:
    """Sequential chat runs with /ping requests interleaved (the same noise for both)."""

    first_event: list[float] = field(default_factory=list)
    to_done: list[float] = field(default_factory=list)
    ping: list[float] = field(default_factory=list)
    me: list[float] = field(default_factory=list)
    replay_first: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sql: str = ""
    code: str = ""
    params: dict[str, object] = field(default_factory=dict)
    data_url: str = ""


def _client(
    server: BenchServer, connections: int = 10, read_timeout_s: float = 60.0
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url,
        headers=server.auth,
        timeout=httpx.Timeout(60.0, read=read_timeout_s),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def _chat(client: httpx.AsyncClient, prompt: str = PROMPT) -> Stream:
    return await read_stream(
        client, "POST", "/api/chat", json={"prompt": prompt}, timeout_s=STREAM_TIMEOUT_S
    )


async def _ping(client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    response = await client.get("/ping")
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or response.text != "pong":
        raise RuntimeError(f"/ping answered {response.status_code} {response.text[:80]!r}")
    return elapsed


async def _me(client: httpx.AsyncClient) -> float:
    """A trivial authenticated GET: the token checked, the user's roles read, a small JSON."""
    started = time.perf_counter()
    response = await client.get("/api/me")
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"/api/me answered {response.status_code} {response.text[:80]!r}")
    return elapsed


async def _me_alone(server: BenchServer) -> float:
    """`GET /api/me` on a connection of its own, as a burst's streams are sent."""
    response = await burst_request(
        server.url, "GET", "/api/me", headers=server.auth, timeout_s=BURST_TIMEOUT_S
    )
    if response.status != 200 or response.error:
        raise RuntimeError(f"/api/me answered {response.status} {response.error}")
    return response.ended - response.started


def _problem(stream: Stream) -> str | None:
    if stream.error:
        return stream.error
    if not stream.done:
        return f"no done event ({len(stream.events)} events)"
    errors = [e.data for e in stream.events if e.name == "error"]
    if errors:
        return f"error event: {errors[0][:200]}"
    return None


async def sequential_runs(server: BenchServer, reps: int, warmup: int = 3) -> ChatRuns:
    runs = ChatRuns()
    async with _client(server) as client:
        for _ in range(warmup):
            await _ping(client)
            await _me(client)
            await _chat(client)
        for _ in range(reps):
            await asyncio.sleep(SETTLE_S)
            runs.ping.append(await _ping(client))
            runs.me.append(await _me(client))
            stream = await _chat(client)
            problem = _problem(stream)
            if problem:
                runs.failures.append(problem)
                continue
            assert stream.first_event_s is not None
            runs.first_event.append(stream.first_event_s)
            runs.to_done.append(stream.events[-1].at - stream.started)
            run_id = json.loads(stream.events[0].data)["run_id"]
            await asyncio.sleep(SETTLE_S)
            replay = await read_stream(
                client, "GET", f"/api/runs/{run_id}/events", timeout_s=STREAM_TIMEOUT_S
            )
            if replay.first_event_s is not None:
                runs.replay_first.append(replay.first_event_s)
            for event in stream.events:
                data = json.loads(event.data)
                if event.name == "sql":
                    runs.sql = data["sql"]
                elif event.name == "data":
                    runs.data_url = data["url"]
                elif event.name == "params":
                    runs.params = data["values"]
            runs.code = "".join(
                json.loads(e.data)["content"] for e in stream.events if e.name == "code"
            )
    return runs


def first_event_figure(runs: ChatRuns) -> Figure:
    chat = Summary.of(runs.first_event)
    ping = Summary.of(runs.ping)
    me = Summary.of(runs.me)
    figure = Figure(
        key="first_event",
        title="Time to first SSE event, POST /api/chat (offline model)",
        method=(
            f"{chat.n} sequential `POST /api/chat` requests ({PROMPT!r}, Bearer token, one "
            f"keep-alive connection), each read to its `done`, {SETTLE_S:g} s apart; the figure "
            "is the time from sending the request to the arrival of the first complete SSE "
            "event (`run`). Baseline: "
            "`GET /ping` (a trivial async Django view returning `pong`, through the same "
            "middleware) on the same connection, interleaved with the chat requests, timed to the "
            "end of its response; and `GET /api/me` (Bearer token checked, the user's roles read, "
            "a small JSON body), the trivial authenticated GET the first event is held to (at "
            "most 1.5x). The last row attaches to each run's stream again after its "
            "`done` (auth, run lookup, log read, no run starting): what the stream costs "
            "without creating a run and waking the worker."
        ),
    )
    if not runs.first_event:
        figure.error = "no chat run succeeded: " + "; ".join(runs.failures[:3])
        return figure
    figure.rows = [
        Row("p50", ms(chat.p50), ms(ping.p50), ratio(chat.p50, ping.p50), "<= 50 ms",
            chat.p50 <= 0.050),
        Row("p99", ms(chat.p99), ms(ping.p99), ratio(chat.p99, ping.p99), "<= 150 ms",
            chat.p99 <= 0.150),
        Row("p50 vs an authenticated GET (`GET /api/me`)", ms(chat.p50), ms(me.p50),
            ratio(chat.p50, me.p50), "<= 1.5x", chat.p50 <= 1.5 * me.p50),
        Row("median and spread", spread_ms(chat), spread_ms(ping)),
        Row("`GET /api/me`, median and spread", spread_ms(me)),
        Row("replay of the finished run (GET /api/runs/{id}/events): first event",
            spread_ms(Summary.of(runs.replay_first)), spread_ms(ping)),
    ]  # fmt: skip
    if runs.failures:
        figure.notes.append(f"{len(runs.failures)} runs failed: {runs.failures[:3]}")
    return figure


def duckdb_baseline(path: Path, sql: str, reps: int, threads: int = 2) -> list[float]:
    """The same SQL on DuckDB directly: a read-only connection with the engine's thread count,
    fetching the result as Arrow; the first (cold) run is not counted."""
    samples = []
    with duckdb.connect(str(path), read_only=True, config={"threads": threads}) as con:
        con.execute(sql).to_arrow_table()
        for _ in range(reps):
            started = time.perf_counter()
            con.execute(sql).to_arrow_table()
            samples.append(time.perf_counter() - started)
    return samples


def end_to_end_figure(runs: ChatRuns, baseline: list[float]) -> Figure:
    run = Summary.of(runs.to_done)
    duck = Summary.of(baseline)
    figure = Figure(
        key="end_to_end",
        title='End-to-end "Show total sales by region" (request to `done`), 1M order items',
        method=(
            "The same sequential chat runs as above, timed from sending the request to the "
            "arrival of the `done` event (the offline model reads the catalog, writes and runs "
            "the SQL, stores the result, streams the component and its parameters). Baseline: the "
            "SQL the run emitted in its `sql` event, run directly on the same DuckDB file (read "
            "only, 2 threads like the engine, result fetched as Arrow). Target: run <= 1.3 x "
            "baseline + 100 ms."
        ),
    )
    if not runs.to_done:
        figure.error = "no chat run succeeded: " + "; ".join(runs.failures[:3])
        return figure
    limit = 1.3 * duck.p50 + 0.100
    figure.rows = [
        Row("p50 request to done", ms(run.p50), ms(duck.p50), ratio(run.p50, duck.p50),
            f"<= 1.3 x baseline + 100 ms = {ms(limit)}", run.p50 <= limit),
        Row("median and spread", spread_ms(run), spread_ms(duck)),
    ]  # fmt: skip
    figure.notes.append("SQL of the run: `" + " ".join(runs.sql.split()) + "`")
    return figure


# Runs timed one at a time before the burst: the throughput of one run alone.
ALONE_RUNS = 3


@dataclass
class Concurrent:
    streams: list[Stream]
    rss_before: int
    rss_peak: int
    rss_after: int
    wall_s: float
    # Per process (daphne, then the run worker when it is separate): RSS idle and at its peak.
    rss_by_process: list[tuple[int, int]] = field(default_factory=list)
    alone_s: list[float] = field(default_factory=list)
    # The same number of `GET /api/me` sent at once right after: what the server takes to
    # answer that many trivial authenticated requests arriving together.
    me_burst_s: list[float] = field(default_factory=list)


async def concurrent_streams(server: BenchServer, count: int) -> Concurrent:
    """`count` chat streams started at once on the server, each read to its end, while its
    processes' RSS is sampled every 50 ms."""
    peak = 0
    peaks = [0] * len(server.pids)
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            each = [rss_bytes(pid) for pid in server.pids]
            peak = max(peak, sum(each))
            peaks[:] = [max(a, b) for a, b in zip(peaks, each, strict=True)]
            await asyncio.sleep(0.05)

    async with _client(server, count + 10, read_timeout_s=BURST_TIMEOUT_S) as client:
        # Warm the process up (worker started, engine open) before taking the idle RSS, then
        # time a few runs alone (request to `done`).
        await _chat(client)
        alone = []
        for _ in range(ALONE_RUNS):
            await asyncio.sleep(SETTLE_S)
            lone = await _chat(client)
            if lone.done and not lone.error:
                alone.append(lone.events[-1].at - lone.started)
        await asyncio.sleep(SETTLE_S)
        idle = [rss_bytes(pid) for pid in server.pids]
        rss_before = sum(idle)
        sampler = asyncio.ensure_future(sample())
        started = time.perf_counter()
        streams = await asyncio.gather(
            *(
                burst_request(
                    server.url,
                    "POST",
                    "/api/chat",
                    headers=server.auth,
                    json_body={"prompt": PROMPT},
                    timeout_s=BURST_TIMEOUT_S,
                )
                for _ in range(count)
            )
        )
        wall = time.perf_counter() - started
        sampling = False
        await sampler
        await asyncio.sleep(0.5)
        # After the burst (before it, it would grow the process ahead of its idle RSS), on
        # connections of their own opened at once like the streams'.
        me_burst = list(await asyncio.gather(*(_me_alone(server) for _ in range(count))))
        return Concurrent(
            list(streams),
            rss_before,
            peak,
            server.rss_bytes(),
            wall,
            list(zip(idle, peaks, strict=True)),
            alone,
            me_burst,
        )


def _running_part(stream: Stream) -> list[Event]:
    """The stream's events from its run's start on: after the last `progress` event that gave
    it a place in the worker's queue (a run that waited is told its place when it joins and as
    it moves up, then hears nothing until its turn, with heartbeats to keep the line open)."""
    start = 0
    for index, event in enumerate(stream.events):
        if event.name == "progress" and (json.loads(event.data).get("position") or 0) > 0:
            start = index + 1
    return stream.events[start:]


def lost_events(stream: Stream) -> int:
    """Events missing from the stream by its seq ids (1..n with no gap)."""
    seqs = [event.seq for event in stream.events]
    if any(seq is None for seq in seqs):
        return len(seqs)
    numbers = [int(seq) for seq in seqs if seq is not None]
    if not numbers:
        return 0
    return len(set(range(1, max(numbers) + 1)) - set(numbers))


def repeated_events(stream: Stream) -> int:
    """Seq ids a stream carried more than once."""
    numbers = [int(event.seq) for event in stream.events if event.seq is not None]
    return len(numbers) - len(set(numbers))


def concurrency_figure(result: Concurrent, count: int, server: BenchServer) -> Figure:
    streams = result.streams
    completed = [s for s in streams if s.done and not s.error]
    http_errors = [s for s in streams if s.error]
    error_events = [s for s in streams if any(e.name == "error" for e in s.events)]
    lost = sum(lost_events(s) for s in streams)
    repeated = sum(repeated_events(s) for s in streams)
    running = [_running_part(s) for s in streams]
    gaps = [
        later.at - earlier.at for events in running for earlier, later in itertools.pairwise(events)
    ]
    waits = [
        s.events[len(s.events) - len(events)].at - s.events[0].at
        for s, events in zip(streams, running, strict=True)
        if events and len(events) < len(s.events)
    ]
    first = [s.first_event_s for s in streams if s.first_event_s is not None]
    to_done = [s.events[-1].at - s.started for s in completed]
    gap = Summary.of(gaps)
    first_summary = Summary.of(first)
    me_burst = Summary.of(result.me_burst_s)
    per_stream = max(0, result.rss_peak - result.rss_before) / max(1, count)
    alone = Summary.of(result.alone_s)
    rate = len(completed) / result.wall_s if result.wall_s else float("nan")
    rate_alone = 1 / alone.p50 if result.alone_s and alone.p50 else float("nan")
    separate = server.worker is not None
    web = len(server.live.pids)
    processes = "daphne + run worker" if separate else "daphne"
    figure = Figure(
        key="concurrency_services" if separate else "concurrency",
        title=f"{count} concurrent chat streams ({server.label})",
        method=(
            f"{count} `POST /api/chat` requests ({PROMPT!r}) started at once from one asyncio "
            "client (one connection each, HTTP/1.1 written with h11 on asyncio streams: httpx's "
            "pool cost the client more CPU than the server's answers; bench/sse.py) against "
            + (
                f"{web} daphne process{'es' if web > 1 else ''} as `make run` starts them "
                "(VIZORCH_WEB_PROCESSES; several accept from SO_REUSEPORT sockets of one port, "
                "vizorch_site/serve.py) on PostgreSQL with the Redis channel layer and one "
                "separate run worker process (`manage.py runworker`)"
                if separate
                else "one daphne process on the embedded defaults (SQLite, in-memory channel "
                "layer, the run worker in the same process)"
            )
            + ", each read to its end or until the burst is cut off after "
            f"{BURST_TIMEOUT_S:g} s. Lost and repeated events are counted from the seq ids "
            "(`id: <run>:<seq>` must run 1..n without a gap or repeat); runs beyond the worker's "
            "VIZORCH_MAX_CONCURRENT_RUNS wait in its queue (their `progress` events count as "
            "events); the gap is the time between two consecutive "
            "events of one stream once its run has started (after the last `progress` event "
            "that gave it a place in the queue), over all streams; the wait in line is from a "
            "stream's first event to its run's start. Baseline of the first event: "
            f"{count} `GET /api/me` (a trivial authenticated request) sent at once right after "
            "the burst, each timed to the end of its response, over connections opened for "
            "it like the streams'. Memory per stream: (peak RSS of "
            f"{processes} during the burst - their RSS when idle, after one warm-up run) / "
            "streams."
        ),
    )
    figure.rows = [
        Row("streams complete (`done`, no transport error)", f"{len(completed)} / {count}",
            target=f"{count} / {count}", met=len(completed) == count),
        Row("errors (HTTP/transport, `error` events)",
            f"{len(http_errors)} / {len(error_events)}", target="0 / 0",
            met=not http_errors and not error_events),
        Row("lost / repeated events (seq gaps / seq ids seen twice)", f"{lost} / {repeated}",
            target="0 / 0", met=lost == 0 and repeated == 0),
        Row("first event p99", ms(first_summary.p99), ms(me_burst.p99),
            ratio(first_summary.p99, me_burst.p99), target="<= 1 s",
            met=bool(first) and first_summary.p99 <= 1.0),
        Row("p99 gap between events of a started run", ms(gap.p99), target="<= 500 ms",
            met=gap.p99 <= 0.5),
        Row("gap between events of a started run, median and spread", spread_ms(gap)),
        Row(f"wait in line before the run started ({len(waits)} of {count} runs waited), "
            "median and spread", spread_ms(Summary.of(waits))),
        Row("first event, median and spread", spread_ms(first_summary), spread_ms(me_burst)),
        Row("request to done, median and spread", spread_ms(Summary.of(to_done))),
        Row(f"memory per stream ({processes} RSS)", size(per_stream), target="<= 200 kB",
            met=per_stream <= 200_000),
        Row("throughput at saturation (runs done per second of the burst; baseline: one run "
            "alone, 1 / its median request to done)", f"{rate:.2f} runs/s",
            f"{rate_alone:.2f} runs/s", ratio(rate, rate_alone)),
        Row(f"{processes} RSS idle / peak / after", " / ".join(
            size(v) for v in (result.rss_before, result.rss_peak, result.rss_after))),
        *(
            Row(f"{name} RSS idle / peak (growth per stream)",
                f"{size(idle)} / {size(top)} ({size(max(0, top - idle) / max(1, count))})")
            for name, (idle, top) in zip(
                [*(["daphne"] if web == 1 else [f"daphne {n}" for n in range(1, web + 1)]),
                 *(["run worker"] if separate else [])],
                result.rss_by_process,
                strict=True,
            )
        ),
        Row("wall time of the burst", ms(result.wall_s)),
    ]  # fmt: skip
    problems = [s.error for s in http_errors][:3] + [
        next(e.data for e in s.events if e.name == "error")[:200] for s in error_events[:3]
    ]
    if problems:
        figure.notes.append("First problems: " + " | ".join(str(p) for p in problems))
    return figure

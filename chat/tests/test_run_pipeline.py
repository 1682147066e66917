"""The run pipeline on real PostgreSQL and Redis with separate run workers: a run's code comes in
a handful of events, an event the database refuses leaves no gap in the numbering, runs beyond a
worker's capacity wait in line (told their place) and start in order, many streams at once stay
within the connection pools, and a run whose worker is killed, or stopped by SIGTERM, is finished
by another worker with a stream that neither loses nor repeats an event."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from chat.tests.conftest import DB_POOL_SIZE, Workers
from chat.tests.contract import ANSWER_SEQUENCE, assert_contract, sequence_text
from chat.tests.scripted_llm import COMPONENT
from chat.tests.sse import (
    TIMEOUT,
    Event,
    ask,
    client_for,
    code_of,
    collect,
    iter_events,
    open_stream,
)
from vizorch_site.testing import LiveServer, runs_held_by_worker

# A bound for waiting on the server, not a measured duration: tests fail, not hang, past it.
PATIENCE_S = 120.0
SLOW = "[slow] Show total sales by region"


def assert_answered(events: list[Event]) -> None:
    assert_contract(events)
    errors = [e.data for e in events if e.event == "error"]
    assert ANSWER_SEQUENCE.fullmatch(sequence_text(events)), (sequence_text(events), errors)
    assert code_of(events) == COMPONENT
    assert events[-1].data == {"type": "complete", "code_complete": True, "data_ready": True}


def test_a_run_writes_its_component_in_a_handful_of_events(
    services_server: LiveServer, workers: Workers
) -> None:
    workers.start()
    with client_for(services_server) as client:
        events = ask(client, "Show total sales by region")
    assert_answered(events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len([e for e in events if e.event == "code"]) <= 3


def test_an_event_the_database_refuses_leaves_no_gap(
    services_server: LiveServer, workers: Workers
) -> None:
    workers.start()
    with client_for(services_server) as client:
        events = ask(client, "[nul] Show total sales by region")
        run_id = events[0].data["run_id"]
        # The line PostgreSQL cannot store is left out; everything else is numbered 1..n.
        assert not any("\x00" in str(e.data) for e in events)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert_answered(events)
        replay = ask_again(client, run_id)
        assert replay == events
        assert client.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"


def ask_again(client: httpx.Client, run_id: str) -> list[Event]:
    return collect(client, "GET", f"/api/runs/{run_id}/events")


def same_user(client: httpx.Client) -> httpx.Client:
    """Another connection with the same credentials (a token costs a management command)."""
    return httpx.Client(base_url=client.base_url, headers=client.headers, timeout=TIMEOUT)


def test_runs_beyond_the_capacity_wait_in_line_and_start_in_order(
    services_server: LiveServer, workers: Workers
) -> None:
    workers.start(VIZORCH_MAX_CONCURRENT_RUNS="1")
    arrivals: list[tuple[str, Event]] = []
    lock = threading.Lock()
    owner = client_for(services_server)

    def stream(name: str, prompt: str, ready: threading.Event | None) -> list[Event]:
        events = []
        with (
            same_user(owner) as client,
            open_stream(client, "POST", "/api/chat", json={"prompt": prompt}) as source,
        ):
            for event in iter_events(source):
                with lock:
                    arrivals.append((name, event))
                events.append(event)
                if ready is not None and event.event in {"thought", "progress"}:
                    ready.set()
        return events

    with ThreadPoolExecutor(3) as pool:
        # One at a time, so the order they reach the worker is known.
        first_ready, second_ready = threading.Event(), threading.Event()
        first = pool.submit(stream, "first", SLOW, first_ready)
        assert first_ready.wait(PATIENCE_S)
        second = pool.submit(stream, "second", SLOW, second_ready)
        assert second_ready.wait(PATIENCE_S)
        third = pool.submit(stream, "third", "Show total sales by region", None)
        runs = {"first": first.result(), "second": second.result(), "third": third.result()}
    owner.close()

    for events in runs.values():
        assert_answered(events)

    def places(name: str) -> list[int]:
        return [e.data["position"] for e in runs[name] if "position" in e.data]

    assert places("first") == []
    assert places("second") == [1, 0]
    assert places("third")[0] == 2 and places("third")[-2:] == [1, 0]
    # Each starts (place 0) only after the one before it is done.
    order = [(name, e.event, e.data.get("position")) for name, e in arrivals]
    assert order.index(("first", "done", None)) < order.index(("second", "progress", 0))
    assert order.index(("second", "done", None)) < order.index(("third", "progress", 0))


def _connections(database_url: str) -> int:
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres") as con:
        row = con.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = %s AND backend_type = 'client backend'",
            [name],
        ).fetchone()
    return int(row[0]) if row else 0


def test_many_streams_at_once_stay_within_the_connection_pools(
    services_server: LiveServer, workers: Workers
) -> None:
    workers.start(VIZORCH_MAX_CONCURRENT_RUNS="8")
    database_url = services_server.env["DATABASE_URL"]
    seen: list[int] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            seen.append(_connections(database_url))
            sampling.wait(0.05)

    owner = client_for(services_server)  # before sampling: the token's command connects too
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:

        def one(_: int) -> list[Event]:
            with same_user(owner) as client:
                return collect(
                    client, "POST", "/api/chat", json={"prompt": "Show total sales by region"}
                )

        with ThreadPoolExecutor(40) as pool:
            streams = list(pool.map(one, range(40)))
    finally:
        sampling.set()
        sampler.join()
        owner.close()
    for events in streams:
        assert_answered(events)
    # daphne and the worker each open at most their pool's connections, however many streams.
    assert seen and max(seen) <= 2 * DB_POOL_SIZE, max(seen)


def _worker_of(database_url: str, run_id: str) -> int:
    with psycopg.connect(database_url) as con:
        row = con.execute("SELECT worker_id FROM chat_run WHERE id = %s", [run_id]).fetchone()
    assert row and row[0], row
    return int(str(row[0]).split(":")[1])


@pytest.fixture
def two_workers(workers: Workers) -> Iterator[Workers]:
    workers.start()
    workers.start()
    yield workers


def test_a_killed_workers_run_is_finished_by_the_other_without_a_lost_or_repeated_event(
    services_server: LiveServer, two_workers: Workers
) -> None:
    with client_for(services_server) as client:
        with open_stream(client, "POST", "/api/chat", json={"prompt": SLOW}) as source:
            events: list[Event] = []
            killed = None
            for event in iter_events(source):
                events.append(event)
                if event.event == "code" and killed is None:
                    # Mid-component: the worker driving the run dies without a word.
                    pid = _worker_of(services_server.env["DATABASE_URL"], events[0].data["run_id"])
                    os.kill(pid, signal.SIGKILL)
                    killed = pid
        assert killed is not None
        survivors = [p for p in two_workers.processes if p.pid != killed]
        assert len(survivors) == 1 and survivors[0].poll() is None
        assert_answered(events)
        run_id = events[0].data["run_id"]
        assert _worker_of(services_server.env["DATABASE_URL"], run_id) == survivors[0].pid
        run = client.get(f"/api/runs/{run_id}").json()
        assert run["status"] == "succeeded" and run["ui_code"] == COMPONENT
        assert ask_again(client, run_id) == events


def _stopped_cleanly(process: subprocess.Popen[bytes]) -> int:
    return process.wait(timeout=PATIENCE_S)


def test_a_worker_stopped_by_sigterm_hands_its_running_run_to_the_other_at_once(
    services_server: LiveServer, workers: Workers
) -> None:
    # No grace: the run is handed over as soon as the worker is told to stop. Workers that wait
    # ten minutes before taking a silent worker's runs: only the handover can finish it in time.
    patient = {"VIZORCH_RUN_DRAIN_S": "0", "VIZORCH_RUN_WORKER_TIMEOUT_S": "600"}
    workers.start(**patient)
    workers.start(**patient)
    database_url = services_server.env["DATABASE_URL"]
    with client_for(services_server) as client:
        with open_stream(client, "POST", "/api/chat", json={"prompt": SLOW}) as source:
            events: list[Event] = []
            stopped = None
            for event in iter_events(source):
                events.append(event)
                if event.event == "code" and stopped is None:
                    pid = _worker_of(database_url, events[0].data["run_id"])
                    stopped = next(p for p in workers.processes if p.pid == pid)
                    stopped.send_signal(signal.SIGTERM)
        assert stopped is not None
        assert_answered(events)
        run_id = events[0].data["run_id"]
        survivor = next(p for p in workers.processes if p is not stopped)
        assert _worker_of(database_url, run_id) == survivor.pid
        assert _stopped_cleanly(stopped) == 0
        run = client.get(f"/api/runs/{run_id}").json()
        assert run["status"] == "succeeded" and run["ui_code"] == COMPONENT
        assert ask_again(client, run_id) == events


def test_a_worker_stopped_by_sigterm_finishes_its_running_run_and_passes_on_its_queue(
    services_server: LiveServer, workers: Workers
) -> None:
    stopping = workers.start(VIZORCH_MAX_CONCURRENT_RUNS="1", VIZORCH_RUN_DRAIN_S="120")
    database_url = services_server.env["DATABASE_URL"]
    streams: dict[int, list[Event]] = {0: [], 1: []}
    running, queued = threading.Event(), threading.Event()
    owner = client_for(services_server)

    def read(index: int) -> None:
        with (
            same_user(owner) as client,
            open_stream(client, "POST", "/api/chat", json={"prompt": SLOW}) as source,
        ):
            for event in iter_events(source):
                streams[index].append(event)
                if event.event == "code":
                    running.set()
                if event.data.get("position"):
                    queued.set()

    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(read, 0)
            assert running.wait(PATIENCE_S)
            second = pool.submit(read, 1)
            assert queued.wait(PATIENCE_S)
            other = workers.start()
            stopping.send_signal(signal.SIGTERM)
            first.result(timeout=PATIENCE_S)
            second.result(timeout=PATIENCE_S)
    finally:
        owner.close()
    for events in streams.values():
        assert_answered(events)
    ran, waited = (streams[i][0].data["run_id"] for i in (0, 1))
    # The running run ended where it ran; the queued one went to the other worker.
    assert _worker_of(database_url, ran) == stopping.pid
    assert _worker_of(database_url, waited) == other.pid
    assert _stopped_cleanly(stopping) == 0


BURST = 24


def test_a_worker_stopped_by_sigterm_in_a_burst_hands_every_run_over_and_each_ends_answered(
    services_server: LiveServer, workers: Workers
) -> None:
    # A burst, so that the stop finds runs of every state: queued, being taken into the queue,
    # running, finishing. None may end "because its worker shut down", unpicked or without its
    # `done`. The worker timeout is short enough that a start message lost with the stopped
    # worker's connection is found by the other's look at unheld runs before the pickup timeout.
    settings = {
        "VIZORCH_RUN_DRAIN_S": "0",
        "VIZORCH_RUN_WORKER_TIMEOUT_S": "20",
        "VIZORCH_MAX_CONCURRENT_RUNS": "3",
    }
    stopping = workers.start(**settings)
    workers.start(**settings)
    database_url = services_server.env["DATABASE_URL"]
    owner = client_for(services_server)

    def read(_: int) -> list[Event]:
        with same_user(owner) as client:
            return ask(client, "Show total sales by region")

    try:
        with ThreadPoolExecutor(BURST) as pool:
            streams = pool.map(read, range(BURST))
            deadline = time.monotonic() + PATIENCE_S
            while time.monotonic() < deadline:
                running, queued = runs_held_by_worker(database_url, stopping.pid)
                if running and running + queued >= BURST // 4:
                    break
                time.sleep(0.01)
            stopping.send_signal(signal.SIGTERM)
            answers = list(streams)
    finally:
        owner.close()
    assert _stopped_cleanly(stopping) == 0
    for events in answers:
        assert [e.data for e in events if e.event == "error"] == []
        assert_answered(events)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_a_queued_run_on_the_embedded_worker_waits_however_long_it_takes(
    queued_embedded_server: LiveServer,
) -> None:
    with ThreadPoolExecutor(2) as pool, client_for(queued_embedded_server) as client:
        ready = threading.Event()

        def slow() -> list[Event]:
            with (
                same_user(client) as own,
                open_stream(own, "POST", "/api/chat", json={"prompt": SLOW}) as source,
            ):
                out = []
                for event in iter_events(source):
                    out.append(event)
                    ready.set()
                return out

        first = pool.submit(slow)
        assert ready.wait(PATIENCE_S)
        # It waits well past the pick-up timeout, behind the slow run, and is not given up.
        waiting = ask(client, "Show total sales by region")
        assert_answered(first.result())
    assert_answered(waiting)
    assert [e.data["position"] for e in waiting if "position" in e.data][-1] == 0


def test_a_worker_whose_redis_reads_time_out_keeps_listening(
    services_server: LiveServer, workers: Workers
) -> None:
    # Reads cut off after 1 s, shorter than channels-redis's 5 s blocking pop: every idle
    # listen ends in redis.exceptions.TimeoutError, as a slow or restarting Redis does.
    url = services_server.env["REDIS_URL"].replace("socket_timeout=15", "socket_timeout=1")
    assert "socket_timeout=1" in url
    worker = workers.start(REDIS_URL=url)
    with client_for(services_server) as client:
        # Long enough for several timeouts before the run arrives.
        for _ in range(3):
            assert worker.poll() is None
            time.sleep(2.0)
        events = ask(client, "Show total sales by region")
    assert_answered(events)
    assert worker.poll() is None
    log = (services_server.var_dir / "runworker-0.log").read_text()
    assert "listening again" in log

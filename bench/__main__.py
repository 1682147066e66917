"""`python -m bench`: start the servers, measure every figure of issue 8 with its baseline, write
docs/PERFORMANCE.md. `--quick` takes few samples (for development); `--only` picks figures."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import (
    analysis,
    fig_bundles,
    fig_catalog,
    fig_chat,
    fig_data,
    fig_engine,
    fig_handover,
    fig_quack,
    fig_sandbox,
    machine,
)
from bench.report import Figure, load, render, save
from bench.server import VAR_DIR, BenchServer, bench_server
from vizorch_site.testing import BASE_DIR

REPORT = BASE_DIR / "docs" / "PERFORMANCE.md"
FIGURES = (
    "chat",
    "concurrency",
    "handover",
    "data",
    "sandbox",
    "bundles",
    "quack",
    "engine",
    "bomb",
    "catalog",
)
# The optional PostgreSQL + Redis burst is skipped when the run is already this far along, so
# `make bench` stays under 15 minutes.
SERVICES_DEADLINE_S = 10 * 60


@dataclass(frozen=True)
class Reps:
    """How many times each measurement is repeated."""

    chat: int
    duckdb: int
    streams: int
    parquet: int
    json: int
    overhead: int
    sandbox: int
    quack: int
    engine: int
    catalog: int


FULL = Reps(
    chat=100, duckdb=30, streams=200, parquet=10, json=3, overhead=5, sandbox=10, quack=60,
    engine=30, catalog=3,
)  # fmt: skip
QUICK = Reps(
    chat=8,
    duckdb=5,
    streams=20,
    parquet=3,
    json=1,
    overhead=2,
    sandbox=3,
    quack=10,
    engine=5,
    catalog=1,
)


def _server_figures(
    server: BenchServer, reps: Reps, only: set[str], log: Callable[[str], None]
) -> list[Figure]:
    figures: list[Figure] = []
    bar: tuple[str, dict[str, object], str] | None = None

    def chat() -> list[Figure]:
        nonlocal bar
        log(f"chat: {reps.chat} sequential runs")
        runs = asyncio.run(fig_chat.sequential_runs(server, reps.chat))
        baseline = (
            fig_chat.duckdb_baseline(server.duckdb_path, runs.sql, reps.duckdb) if runs.sql else []
        )
        if runs.code and runs.data_url:
            bar = (runs.code, runs.params, runs.data_url)
        return [fig_chat.first_event_figure(runs), fig_chat.end_to_end_figure(runs, baseline)]

    def data() -> list[Figure]:
        log("data: 1M-row results in three formats, and the Parquet write")
        return fig_data.figures(server, reps.parquet, reps.json, reps.overhead)

    def sandbox() -> list[Figure]:
        log("sandbox: headless Chromium")
        return fig_sandbox.figures(server, reps.sandbox, bar)

    for name, measure in (("chat", chat), ("data", data), ("sandbox", sandbox)):
        if name in only:
            figures += _guarded(name, measure)
    return figures


def _burst(server: BenchServer, streams: int, log: Callable[[str], None]) -> list[Figure]:
    log(f"concurrency: {streams} streams ({server.label})")
    result = asyncio.run(fig_chat.concurrent_streams(server, streams))
    return [fig_chat.concurrency_figure(result, streams, server)]


def _guarded(name: str, measure: Callable[[], list[Figure]]) -> list[Figure]:
    """A figure that crashes is reported as not measured; the others still run."""
    try:
        return measure()
    except Exception as exc:
        traceback.print_exc()
        return [Figure(key=name, title=name, method="", error=f"{type(exc).__name__}: {exc}")]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few repetitions (development)")
    parser.add_argument(
        "--only", default=",".join(FIGURES), help="comma list of " + ",".join(FIGURES)
    )
    parser.add_argument("--out", type=Path, default=REPORT, help="report path")
    parser.add_argument("--var-dir", type=Path, default=VAR_DIR)
    parser.add_argument(
        "--render",
        type=Path,
        metavar="RUN_JSON",
        help="write the report again from a saved run (var/bench/last-run.json), measuring nothing",
    )
    args = parser.parse_args()
    if args.render is not None:
        saved_machine, saved_run, saved = load(args.render)
        args.out.write_text(
            render(machine=saved_machine, run=saved_run, figures=saved, analyses=analysis.ANALYSES)
        )
        print(f"wrote {args.out} from {args.render}")
        return
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    reps = QUICK if args.quick else FULL
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[bench {time.monotonic() - started:6.1f}s] {message}", flush=True)

    info = machine.describe()
    load_start = machine.load_average()
    figures: list[Figure] = []
    if only & {"chat", "data", "sandbox"}:
        log(f"starting the server (demo data at scale 1.0 in {args.var_dir})")
        with bench_server(args.var_dir) as server:
            log(f"server up at {server.url} (pid {server.pid})")
            figures += _server_figures(server, reps, only, log)
    if "concurrency" in only:
        # A fresh server: the figures before grow the process (1M-row JSON), which would hide
        # the burst's memory; a burst that is cut off leaves runs behind, so it is stopped next.
        log("starting a fresh server for the burst")
        with bench_server(args.var_dir) as server:
            figures += _guarded("concurrency", lambda: _burst(server, reps.streams, log))
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if "concurrency" in only and database_url.startswith("postgres") and redis_url:
        if time.monotonic() - started > SERVICES_DEADLINE_S:
            figures.append(
                Figure(
                    key="concurrency_services",
                    title="Concurrent chat streams on PostgreSQL + Redis",
                    method="",
                    error="skipped to keep the run within its time budget",
                )
            )
        else:
            log("starting the server on PostgreSQL and Redis with a separate run worker")
            with bench_server(
                args.var_dir, database_url=database_url, redis_url=redis_url
            ) as server:
                figures += _guarded("concurrency", lambda: _burst(server, reps.streams, log))
    if "handover" in only and database_url.startswith("postgres") and redis_url:
        log("handover: a run worker stopped in the middle of a burst (SIGKILL, SIGTERM)")
        figures += _guarded(
            "handover",
            lambda: [fig_handover.handover_figure(args.var_dir, database_url, redis_url)],
        )
    if "bundles" in only:
        log("bundles")
        figures += _guarded("bundles", fig_bundles.figures)
    if "quack" in only:
        log(f"quack: {reps.quack} round trips each")
        figures += _guarded("quack", lambda: fig_quack.figures(args.var_dir, reps.quack))
    if "engine" in only:
        log(f"engine: worker pool against in-process DuckDB, {reps.engine} runs each")
        figures += _guarded("engine", lambda: [fig_engine.pool_figure(args.var_dir, reps.engine)])
    if "bomb" in only:
        log("bomb: statements that explode in the engine, on a fresh server")

        def bomb() -> list[Figure]:
            with bench_server(args.var_dir, extra_env=fig_engine.bomb_env()) as server:
                return [fig_engine.bomb_figure(server)]

        figures += _guarded("bomb", bomb)
    if "catalog" in only:
        log(f"catalog: {reps.catalog} profiles and SUMMARIZEs of the demo and TPC-H SF1")
        figures += _guarded("catalog", lambda: fig_catalog.figures(args.var_dir, reps.catalog))
    run = {
        "code": machine.code_version(BASE_DIR),
        "mode": "quick (few repetitions)" if args.quick else "full",
        "load average at start": load_start,
        "load average at end": machine.load_average(),
        "duration": f"{(time.monotonic() - started) / 60:.1f} min",
        "server": "daphne, embedded defaults (SQLite, in-memory channel layer, local DuckDB, "
        "offline model), DEBUG on as in `make run`; see bench/settings.py"
        + (
            "; the concurrency figure also on PostgreSQL + Redis with a separate run worker"
            if database_url.startswith("postgres") and redis_url
            else ""
        ),
        "client": "httpx (asyncio) on the same machine, loopback",
    }
    save(args.var_dir / "last-run.json", machine=info, run=run, figures=figures)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(machine=info, run=run, figures=figures, analyses=analysis.ANALYSES))
    log(f"wrote {args.out} (measurements kept in {args.var_dir / 'last-run.json'})")


if __name__ == "__main__":
    main()

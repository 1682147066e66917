"""The cost of profiling a database into the semantic catalog, against DuckDB's own `SUMMARIZE`
of the same tables: the demo dataset (about 1M order items) and TPC-H at SF1 (6M line items,
profiled from a 1M-row sample). Each measurement runs in a fresh Python process, so its peak
resident memory (from the OS) is its own; time is measured inside the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.report import Figure, Row
from bench.stats import Summary, ratio, size, spread_ms
from vizorch_site.testing import BASE_DIR

TARGET = "<= 3x"  # a profile reads each table a few times; SUMMARIZE reads it once


def _probe(mode: str, database: Path) -> dict[str, float]:
    """Run `python -m bench.fig_catalog MODE DATABASE`; its seconds and peak RSS in bytes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fig_catalog", mode, str(database)],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{mode} on {database.name} failed (status {status})")
    result: dict[str, float] = json.loads(output)
    result["rss"] = usage.ru_maxrss * 1024.0  # kilobytes on Linux
    return result


def _run_inside(mode: str, database: Path) -> None:
    from executors.catalog.profile import profile_engine
    from executors.engines.base import QueryLimits
    from executors.engines.duckdb_local import LocalDuckDBEngine

    engine = LocalDuckDBEngine("bench", database)
    limits = QueryLimits(max_rows=1_000_000, timeout_s=600.0)
    engine.run("SELECT 1", limits=limits, tag="warm-up")
    tables = [t.name for t in engine.catalog()]
    started = time.perf_counter()
    if mode == "profile":
        profile_engine(engine)
    elif mode == "summarize":
        for name in tables:
            engine.run(f"SUMMARIZE {name}", limits=limits, tag=f"summarize-{name}")
    elapsed = time.perf_counter() - started
    engine.close()
    print(json.dumps({"seconds": elapsed, "tables": len(tables)}))


def _tpch(var_dir: Path) -> Path:
    from executors.demo_data import load_tpch

    path = var_dir / "tpch-sf1.duckdb"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        load_tpch(partial, 1.0, schema="main")
        partial.rename(path)
    return path


def figures(var_dir: Path, reps: int) -> list[Figure]:
    figure = Figure(
        key="catalog",
        title="Profiling into the semantic catalog vs DuckDB SUMMARIZE",
        method=(
            "`profile_engine` (executors/catalog/profile.py) on a `LocalDuckDBEngine` (2 threads, "
            "1 GB, read-only) against `SUMMARIZE <table>` of every table through the same engine, "
            f"alternating, {reps} runs each, every run in a fresh Python process: time is the "
            "profile (or the SUMMARIZEs) inside the process after a warm-up statement, memory is "
            "the process's peak RSS (it includes Python and DuckDB, about the same in both). "
            "Default profile options: tables over 1M rows (TPC-H's lineitem, 6M) are profiled "
            "from a 1M-row sample, which SUMMARIZE does not do."
        ),
    )
    from executors.demo_data import ensure_demo_database

    demo = var_dir / "demo.duckdb"
    ensure_demo_database(demo, scale=1.0)  # the bench server's file, made here when absent
    datasets = {"demo (1M order items)": demo, "TPC-H SF1": _tpch(var_dir)}
    for label, database in datasets.items():
        profile: list[dict[str, float]] = []
        summarize: list[dict[str, float]] = []
        for _ in range(reps):
            profile.append(_probe("profile", database))
            summarize.append(_probe("summarize", database))
        p = Summary.of([r["seconds"] for r in profile])
        s = Summary.of([r["seconds"] for r in summarize])
        p_rss = max(r["rss"] for r in profile)
        s_rss = max(r["rss"] for r in summarize)
        figure.rows += [
            Row(f"{label}: time, median", f"{p.p50:.2f} s", f"{s.p50:.2f} s",
                ratio(p.p50, s.p50), TARGET, p.p50 <= 3 * s.p50),
            Row(f"{label}: time, spread", spread_ms(p), spread_ms(s)),
            Row(f"{label}: peak memory (process)", size(p_rss), size(s_rss), ratio(p_rss, s_rss)),
        ]  # fmt: skip
    figure.notes.append(
        "Peak memory includes DuckDB's buffer pool, which a scan of a large file fills up to the "
        "engine's memory limit (1 GB) in both cases; the profile's own structures are small next "
        "to it."
    )
    return [figure]


if __name__ == "__main__":
    _run_inside(sys.argv[1], Path(sys.argv[2]))

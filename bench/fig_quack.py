"""Remote DuckDB over Quack against local DuckDB: the same 10-row queries through Vizorch's two
engines (RemoteDuckDBEngine to a Quack server on loopback, LocalDuckDBEngine on the file)."""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from bench.report import Figure, Row
from bench.stats import Summary, ms, ratio, spread_ms
from executors.engines.base import Engine, QueryLimits
from executors.engines.duckdb_local import LocalDuckDBEngine
from executors.engines.duckdb_remote import RemoteDuckDBEngine, load_quack
from vizorch_site.testing import BASE_DIR, free_port

QUERIES = {
    "10-row lookup (stores)": (
        "SELECT store_id, store_name, city, country, region FROM stores ORDER BY store_id LIMIT 10"
    ),
    "10-row aggregate over 1M order items": (
        "SELECT product_id, sum(sales) AS sales FROM order_items "
        "GROUP BY product_id ORDER BY sales DESC LIMIT 10"
    ),
}
LIMITS = QueryLimits(max_rows=1000, timeout_s=30.0)
START_TIMEOUT_S = 60.0


@contextlib.contextmanager
def quack_server(database: Path, token: str, log_dir: Path) -> Iterator[str]:
    """`manage.py quack_serve` on a free loopback port with the local engine's thread
    count and memory limit; yields its quack:host:port URI and stops it afterwards."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"quack-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "quack_serve", "--database", str(database),
             "--port", str(port), "--threads", "2", "--memory-limit", "1GB"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, cwd=BASE_DIR,
            env={**os.environ, "QUACK_TOKEN": token},
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = b""
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_S)
        if ready:
            line = process.stdout.readline()
        if not line.startswith(b"READY "):
            raise RuntimeError(f"the Quack server did not start (exit {process.poll()})")
        yield line.decode().split()[1]
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _time(engine: Engine, sql: str) -> float:
    started = time.perf_counter()
    result = engine.run(sql, limits=LIMITS, tag=f"bench-{uuid.uuid4().hex}")
    elapsed = time.perf_counter() - started
    if result.row_count != 10:
        raise RuntimeError(f"{engine.name} returned {result.row_count} rows, not 10")
    return elapsed


def _raw_quack(uri: str, token: str, sql: str, reps: int) -> list[float]:
    """The same statement with DuckDB's own quack_query from a plain client: Quack's own cost."""
    samples = []
    with duckdb.connect(":memory:", config={"threads": 2}) as con:
        load_quack(con)
        statement = "FROM quack_query(?, ?, token := ?)"
        con.execute(statement, [uri, sql, token]).to_arrow_table()
        for _ in range(reps):
            started = time.perf_counter()
            con.execute(statement, [uri, sql, token]).to_arrow_table()
            samples.append(time.perf_counter() - started)
    return samples


def figures(var_dir: Path, reps: int) -> list[Figure]:
    database = var_dir / "demo.duckdb"
    token = secrets.token_urlsafe(16)
    figure = Figure(
        key="quack",
        title="Remote DuckDB over Quack vs local DuckDB, 10-row results",
        method=(
            "Each query runs through Vizorch's engines in the bench process, alternating: "
            "`RemoteDuckDBEngine` against a Quack server (`manage.py quack_serve`, 2 "
            "threads, 1 GB, on loopback, serving the same demo file) and `LocalDuckDBEngine` on "
            f"the file (2 threads, 1 GB). {reps} timed runs each after one warm-up; the time is "
            "`engine.run()` returning an Arrow table of 10 rows. The extra row `raw quack_query` "
            "is DuckDB's own client calling the same server, without our engine around it."
        ),
    )
    local = LocalDuckDBEngine("local", database, temp_directory=var_dir / "duckdb_tmp")
    with quack_server(database, token, var_dir / "quack") as uri:
        remote = RemoteDuckDBEngine("remote", [uri], token)
        try:
            for label, sql in QUERIES.items():
                _time(local, sql)
                _time(remote, sql)
                local_s: list[float] = []
                remote_s: list[float] = []
                for _ in range(reps):
                    local_s.append(_time(local, sql))
                    remote_s.append(_time(remote, sql))
                raw = Summary.of(_raw_quack(uri, token, sql, reps))
                here, there = Summary.of(local_s), Summary.of(remote_s)
                figure.rows += [
                    Row(f"{label}: p50", ms(there.p50), ms(here.p50), ratio(there.p50, here.p50),
                        "<= 3x", there.p50 <= 3 * here.p50),
                    Row(f"{label}: median and spread", spread_ms(there), spread_ms(here)),
                    Row(f"{label}: raw quack_query (no engine)", spread_ms(raw), ms(here.p50),
                        ratio(raw.p50, here.p50)),
                ]  # fmt: skip
        finally:
            remote.close()
            local.close()
    return [figure]

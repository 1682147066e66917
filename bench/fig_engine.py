"""Engine safety figures: what running local DuckDB statements in worker processes costs against
running them in the calling process (a 10-row query, a 1M-row result stored as Parquet), and what
the server does under statements that explode in the engine (peak memory, /api/health latency)."""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from bench.report import Figure, Row
from bench.server import BenchServer, rss_bytes
from bench.stats import Summary, ms, percentile, ratio, size, spread_ms
from executors import demo_data
from executors.engines.base import QueryLimits
from executors.engines.duckdb_local import LocalDuckDBEngine
from executors.engines.duckdb_worker import WorkerConfig, open_locked

TEN_ROWS = (
    "SELECT product_id, sum(sales) AS sales FROM order_items "
    "GROUP BY product_id ORDER BY sales DESC LIMIT 10"
)
MILLION_ROWS = (
    "SELECT order_item_id, order_id, product_id, quantity, unit_price, sales "
    "FROM order_items ORDER BY order_item_id LIMIT 1000000"
)
LIMITS = QueryLimits(max_rows=1_100_000, timeout_s=120.0, max_bytes=1 << 31)
# Statements inside the guard's limits that explode in the engine (as in the bomb test).
CROSS = "SELECT count(*) AS n FROM order_items a, order_items b, order_items c"
BOMBS = {
    "200 UNION terms of cross joins": " UNION ALL ".join(
        f"SELECT count(*) + {i} AS n FROM order_items a, order_items b, order_items c"
        for i in range(200)
    ),
    "90 levels of brackets": "SELECT " + "(" * 90 + f"({CROSS})" + ")" * 90 + " AS n",
    "sorted cross product": (
        "SELECT a.order_item_id, b.order_item_id FROM order_items a, order_items b "
        "ORDER BY a.sales * b.sales"
    ),
    "megabyte rows": "SELECT repeat('x', 1000000) AS s FROM range(1500)",
    "a 10 GB list": "SELECT list(repeat('x', 1000)) FROM range(10000000)",
}
BOMB_TIMEOUT_S = "5"
HEALTH_INTERVAL_S = 0.1


class InProcess:
    """The engine as it was before the worker pool: one locked-down DuckDB instance in the
    calling process, the same settings, Arrow batches read to a table."""

    def __init__(self, engine: LocalDuckDBEngine) -> None:
        config = WorkerConfig(str(engine.path), engine.alias, tuple(engine.lockdown()))
        self.alias = engine.alias
        self.database = open_locked(config)

    def run(self, sql: str) -> pa.Table:
        cursor = self.database.cursor()
        try:
            cursor.execute(f"USE {self.alias}")
            reader = cursor.execute(sql).to_arrow_reader(64_000)
            return pa.Table.from_batches(list(reader), schema=reader.schema)
        finally:
            cursor.close()

    def close(self) -> None:
        self.database.close()


def _timed(action: Callable[[], object], reps: int) -> list[float]:
    action()  # warm-up: page cache, worker start
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def pool_figure(var_dir: Path, reps: int) -> Figure:
    database = var_dir / "demo.duckdb"
    demo_data.ensure_demo_database(database, scale=1.0)
    figure = Figure(
        key="engine_pool",
        title="Local DuckDB in worker processes vs in the calling process",
        method=(
            "`LocalDuckDBEngine.run()` (2 worker processes, 2 DuckDB threads and 1 GB each, "
            "watched for memory and time) against the same locked-down DuckDB instance opened in "
            "the bench process, as the engine ran before (baseline). The 10-row result comes "
            "back as Arrow IPC over a socket. The 1M-row x 6-column result is timed until it is "
            "a zstd Parquet file in the result directory: the worker writes it itself (the "
            "default for results above VIZORCH_RESULT_SMALL_BYTES) or, second variant, sends "
            f"Arrow IPC and the caller writes it; baseline: fetch in process, then write. "
            f"{reps} timed runs each after a warm-up, alternating."
        ),
    )
    with tempfile.TemporaryDirectory(prefix="vizorch-bench-") as tmp:
        spill = Path(tmp)
        pooled = LocalDuckDBEngine(
            "bench-pool", database, temp_directory=var_dir / "duckdb_tmp", spill_directory=spill
        )
        inline = LocalDuckDBEngine(
            "bench-inline", database, temp_directory=var_dir / "duckdb_tmp", pool_size=1,
            spill_directory=None,
        )  # fmt: skip
        local = InProcess(pooled)
        try:

            def pool_small() -> None:
                pooled.run(TEN_ROWS, limits=LIMITS, tag=uuid.uuid4().hex)

            def local_small() -> None:
                local.run(TEN_ROWS)

            def pool_large() -> None:
                result = pooled.run(MILLION_ROWS, limits=LIMITS, tag=uuid.uuid4().hex)
                assert result.parquet_path is not None and result.row_count == 1_000_000
                result.parquet_path.rename(spill / f"{uuid.uuid4().hex}.parquet")

            def inline_large() -> None:
                result = inline.run(MILLION_ROWS, limits=LIMITS, tag=uuid.uuid4().hex)
                assert result.table is not None
                pq.write_table(result.table, spill / f"{uuid.uuid4().hex}.parquet",
                               compression="zstd")  # fmt: skip

            def local_large() -> None:
                table = local.run(MILLION_ROWS)
                pq.write_table(table, spill / f"{uuid.uuid4().hex}.parquet", compression="zstd")

            small = Summary.of(_timed(pool_small, reps))
            small_base = Summary.of(_timed(local_small, reps))
            large = Summary.of(_timed(pool_large, max(3, reps // 5)))
            large_inline = Summary.of(_timed(inline_large, max(3, reps // 5)))
            large_base = Summary.of(_timed(local_large, max(3, reps // 5)))
            for path in spill.glob("*.parquet"):
                path.unlink()
        finally:
            pooled.close()
            inline.close()
            local.close()
    figure.rows = [
        Row("10-row query (p50)", ms(small.p50), ms(small_base.p50),
            ratio(small.p50, small_base.p50), "informational"),
        Row("10-row query, median and spread", spread_ms(small), spread_ms(small_base)),
        Row("1M rows to Parquet, worker writes (p50)", ms(large.p50), ms(large_base.p50),
            ratio(large.p50, large_base.p50), "informational"),
        Row("1M rows to Parquet, Arrow IPC then caller writes (p50)", ms(large_inline.p50),
            ms(large_base.p50), ratio(large_inline.p50, large_base.p50)),
        Row("1M rows, median and spread (worker writes)", spread_ms(large), spread_ms(large_base)),
    ]  # fmt: skip
    figure.notes.append(
        "The worker pool adds a socket round trip and, for inline results, one copy of the "
        "Arrow IPC stream; a large result written by the worker never enters the web process."
    )
    return figure


def _process_tree_rss(pid: int) -> int:
    """RSS of a process and its direct children (daphne and its DuckDB workers), whichever of
    its threads started them."""
    children: set[str] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.update((task / "children").read_text().split())
        except OSError:
            continue
    return rss_bytes(pid) + sum(rss_bytes(int(child)) for child in children)


def bomb_figure(server: BenchServer) -> Figure:
    figure = Figure(
        key="engine_bomb",
        title="The server under statements that explode in the engine",
        method=(
            "A server of its own (embedded defaults, demo data at scale 1.0, statement timeout "
            f"{BOMB_TIMEOUT_S}s, DuckDB workers killed beyond 2 GB resident). Each statement "
            "below passes the guard and is sent to `POST /api/query` in turn while another "
            f"client calls `/api/health` every {HEALTH_INTERVAL_S * 1000:.0f} ms; daphne's "
            "resident memory (and with its worker processes) is sampled every 50 ms. Idle is "
            "daphne after start-up and one query. Targets: daphne within 1 GB of idle, health "
            "p99 <= 2 s, every statement a typed error."
        ),
    )
    with httpx.Client(base_url=server.url, headers=server.auth, timeout=300.0) as client:
        client.post("/api/query", json={"sql": "SELECT count(*) FROM stores"})
        idle = rss_bytes(server.pid)
        idle_tree = _process_tree_rss(server.pid)
        latencies: list[float] = []
        health_errors = 0
        stop = threading.Event()

        def poll_health() -> None:
            nonlocal health_errors
            with httpx.Client(base_url=server.url, timeout=30.0) as health:
                while not stop.is_set():
                    started = time.perf_counter()
                    try:
                        ok = health.get("/api/health").status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    latencies.append(time.perf_counter() - started)
                    health_errors += 0 if ok else 1
                    stop.wait(HEALTH_INTERVAL_S)

        peak = peak_tree = 0
        outcomes: list[str] = []
        poller = threading.Thread(target=poll_health, daemon=True)
        poller.start()
        try:
            for label, sql in BOMBS.items():
                answer: dict[str, object] = {}

                def send(statement: str = sql, answer: dict[str, object] = answer) -> None:
                    started = time.perf_counter()
                    response = client.post("/api/query", json={"sql": statement})
                    answer["seconds"] = time.perf_counter() - started
                    answer["status"] = response.status_code
                    answer["code"] = response.json().get("code", "")

                sender = threading.Thread(target=send)
                sender.start()
                while sender.is_alive():
                    peak = max(peak, rss_bytes(server.pid))
                    peak_tree = max(peak_tree, _process_tree_rss(server.pid))
                    sender.join(timeout=0.05)
                outcomes.append(
                    f"{label}: HTTP {answer['status']} `{answer['code'] or 'stored'}` after "
                    f"{float(str(answer['seconds'])):.1f} s"
                )
        finally:
            stop.set()
            poller.join(timeout=60)
    p99 = percentile(latencies, 99) if latencies else 0.0
    typed_count = sum(1 for outcome in outcomes if "HTTP 200" not in outcome)
    typed = typed_count == len(outcomes)
    figure.rows = [
        Row("daphne peak resident memory above idle", size(peak - idle), size(idle),
            "—", "<= 1 GB", peak - idle <= 1024**3),
        Row("daphne + DuckDB workers, peak above idle", size(peak_tree - idle_tree),
            size(idle_tree)),
        Row("/api/health latency p99", ms(p99), "—", "—", "<= 2 s", p99 <= 2.0),
        Row("/api/health calls, failed of total", f"{health_errors} of {len(latencies)}", "—",
            "—", "0 failed", health_errors == 0),
        Row("statements ending in a typed error", f"{typed_count} of {len(outcomes)}", "—", "—",
            "all", typed),
    ]  # fmt: skip
    figure.notes += outcomes
    return figure


def bomb_env() -> dict[str, str]:
    return {"VIZORCH_QUERY_TIMEOUT_S": BOMB_TIMEOUT_S}

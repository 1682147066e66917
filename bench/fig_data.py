"""Result figures: GET /api/data/{id} of a 1M-row x 6-column result as Parquet and as Arrow IPC
against JSON (time to serve and bytes), and what it costs Vizorch to produce and serve that
Parquet result against DuckDB writing the same Parquet file itself (COPY ... TO)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx

from bench.report import Figure, Row
from bench.server import BenchServer
from bench.stats import Summary, ms, ratio, size, spread_ms

# Two 1M-row x 6-column results of the demo data (order_items has about 1M rows at scale 1.0):
# order lines with their date, region, category and product (what a detail export looks like),
# and six numeric columns (ids, a decimal and a double: the hardest case for Parquet's size).
DETAIL_SQL = (
    "SELECT o.order_date, s.region, p.category, p.product_name, oi.quantity, oi.sales "
    "FROM order_items oi JOIN orders o ON oi.order_id = o.order_id "
    "JOIN stores s ON o.store_id = s.store_id JOIN products p ON oi.product_id = p.product_id "
    "ORDER BY oi.order_item_id LIMIT 1000000"
)
NUMERIC_SQL = (
    "SELECT order_item_id, order_id, product_id, quantity, unit_price, sales "
    "FROM order_items ORDER BY order_item_id LIMIT 1000000"
)
CASES = {"order lines (date, 3 text, int, double)": DETAIL_SQL,
         "numeric only (4 int, decimal, double)": NUMERIC_SQL}  # fmt: skip
TIMEOUT = httpx.Timeout(300.0)


@dataclass
class Fetch:
    seconds: float
    num_bytes: int


def create_result(client: httpx.Client, sql: str) -> tuple[float, dict[str, object]]:
    """POST /api/query: run the SQL, store the result as Parquet; (seconds, response body)."""
    started = time.perf_counter()
    response = client.post("/api/query", json={"sql": sql, "engine": "local"})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"/api/query answered {response.status_code}: {response.text[:300]}")
    return elapsed, response.json()


def fetch(client: httpx.Client, result_id: str, fmt: str) -> Fetch:
    """GET /api/data/{id}?format=..., body read to its last byte (and discarded). Arrow is asked
    for compact (`codec=zstd`: dictionary-encoded strings, zstd buffers), as pyarrow, polars and
    DuckDB read it."""
    started = time.perf_counter()
    received = 0
    params = {"format": fmt, **({"codec": "zstd"} if fmt == "arrow" else {})}
    with client.stream("GET", f"/api/data/{result_id}", params=params) as response:
        if response.status_code != 200:
            raise RuntimeError(
                f"/api/data?format={fmt} answered {response.status_code}: {response.read()[:300]!r}"
            )
        for chunk in response.iter_raw():
            received += len(chunk)
    return Fetch(time.perf_counter() - started, received)


def duckdb_copy(path: Path, sql: str, reps: int, threads: int = 2) -> list[float]:
    """DuckDB writing the same result to Parquet itself (zstd like the result store), on a
    read-only connection with the engine's thread count; the first (cold) run is not counted."""
    samples = []
    with (
        tempfile.TemporaryDirectory(prefix="vizorch-bench-") as tmp,
        duckdb.connect(str(path), read_only=True, config={"threads": threads}) as con,
    ):
        target = Path(tmp) / "copy.parquet"
        statement = f"COPY ({sql}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
        con.execute(statement)
        for _ in range(reps):
            target.unlink(missing_ok=True)
            started = time.perf_counter()
            con.execute(statement)
            samples.append(time.perf_counter() - started)
    return samples


@dataclass
class Case:
    label: str
    sql: str
    rows: int
    columns: int
    truncated: bool
    fetched: dict[str, list[Fetch]]


def _fetch_all(client: httpx.Client, label: str, sql: str, reps: int, json_reps: int) -> Case:
    _, body = create_result(client, sql)
    result_id = str(body["id"])
    fetched: dict[str, list[Fetch]] = {}
    for fmt, count in (("parquet", reps), ("arrow", reps)):
        fetch(client, result_id, fmt)  # warm-up, not counted
        fetched[fmt] = [fetch(client, result_id, fmt) for _ in range(count)]
    # JSON takes seconds a fetch: no warm-up round.
    fetched["json"] = [fetch(client, result_id, "json") for _ in range(json_reps)]
    return Case(
        label=label,
        sql=sql,
        rows=int(body["row_count"]),  # type: ignore[call-overload]
        columns=len(body["columns"]),  # type: ignore[arg-type]
        truncated=bool(body["truncated"]),
        fetched=fetched,
    )


def figures(server: BenchServer, reps: int, json_reps: int, overhead_reps: int) -> list[Figure]:
    with httpx.Client(base_url=server.url, headers=server.auth, timeout=TIMEOUT) as client:
        create_result(client, DETAIL_SQL)  # warm-up: engine, page cache
        creates: list[float] = []
        downloads: list[float] = []
        for _ in range(overhead_reps):
            seconds, body = create_result(client, DETAIL_SQL)
            creates.append(seconds)
            downloads.append(fetch(client, str(body["id"]), "parquet").seconds)
        cases = [_fetch_all(client, label, sql, reps, json_reps) for label, sql in CASES.items()]
    copies = duckdb_copy(server.duckdb_path, DETAIL_SQL, overhead_reps)
    return [_formats_figure(cases), _overhead_figure(creates, downloads, copies, cases[0].rows)]


def _formats_figure(cases: list[Case]) -> Figure:
    figure = Figure(
        key="formats",
        title="/api/data/{id} for 1M rows x 6 columns: Parquet and Arrow IPC vs JSON",
        method=(
            "Two stored results of about 1M rows x 6 columns, each fetched with `GET "
            "/api/data/{id}?format=...` over one keep-alive connection and read to its last "
            "byte; time to serve is request to last byte. Baseline: the JSON form of the same "
            "result (the bench server raises the JSON size limit for this, bench/settings.py). "
            "Bytes are the body as sent (no HTTP compression). Target: >= 10x faster, and "
            "smaller than JSON by >= 5x for Parquet and >= 2.5x for Arrow IPC (asked for with "
            "`codec=zstd`: dictionary-encoded strings, zstd buffers; full-precision doubles bound "
            "it near 2.8x on the numeric case). The first case is a typical detail export "
            "(order lines with "
            "their date, region, category and product); the second has only numeric columns "
            "(ids, a DECIMAL and a DOUBLE with full-precision values), the hardest case for "
            "Parquet's size."
        ),
    )
    for case in cases:
        json_time = Summary.of([f.seconds for f in case.fetched["json"]])
        json_bytes = case.fetched["json"][0].num_bytes
        for fmt, label, target in (("parquet", "Parquet", 5.0), ("arrow", "Arrow IPC", 2.5)):
            timing = Summary.of([f.seconds for f in case.fetched[fmt]])
            num_bytes = case.fetched[fmt][0].num_bytes
            speedup = json_time.p50 / timing.p50 if timing.p50 else 0.0
            smaller = json_bytes / num_bytes if num_bytes else 0.0
            name = f"{case.label}, {label}"
            figure.rows += [
                Row(f"{name}: time to serve (p50)", ms(timing.p50), ms(json_time.p50),
                    f"{speedup:.1f}x faster", ">= 10x faster", speedup >= 10),
                Row(f"{name}: bytes", size(num_bytes), size(json_bytes),
                    f"{smaller:.1f}x smaller", f">= {target:g}x smaller", smaller >= target),
                Row(f"{name}: time, median and spread", spread_ms(timing), spread_ms(json_time)),
            ]  # fmt: skip
        figure.notes.append(
            f"{case.label}: {case.rows:,} rows x {case.columns} columns, `{case.sql}`"
        )
        if case.truncated:
            figure.notes.append(f"{case.label}: the result was truncated by the row limit.")
    return figure


def _overhead_figure(
    creates: list[float], downloads: list[float], copies: list[float], rows: int
) -> Figure:
    total = Summary.of([c + d for c, d in zip(creates, downloads, strict=True)])
    create = Summary.of(creates)
    download = Summary.of(downloads)
    copy = Summary.of(copies)
    figure = Figure(
        key="serving",
        title="Result serving overhead: query to served Parquet vs DuckDB COPY ... TO",
        method=(
            f"Vizorch: `POST /api/query` with the {rows:,}-row order lines query of the figure "
            "above (guard, engine, Arrow "
            "fetch, Parquet zstd write, result row) followed by `GET /api/data/{id}?format="
            "parquet` read to its last byte. Baseline: DuckDB writing the same query's result "
            "to a Parquet file itself, `COPY (...) TO 'x.parquet' (FORMAT parquet, COMPRESSION "
            "zstd)`, on a read-only connection with 2 threads like the engine. Target <= 1.5x."
        ),
    )
    figure.rows = [
        Row("query + store + serve (p50)", ms(total.p50), ms(copy.p50), ratio(total.p50, copy.p50),
            "<= 1.5x", total.p50 <= 1.5 * copy.p50),
        Row("query + store + serve, median and spread", spread_ms(total), spread_ms(copy)),
        Row("of which POST /api/query (run and store)", spread_ms(create), ms(copy.p50),
            ratio(create.p50, copy.p50)),
        Row("of which GET ?format=parquet", spread_ms(download)),
    ]  # fmt: skip
    return figure

"""A runaway local DuckDB statement ends in a typed error and takes only its worker process with
it: past the worker's memory bound, past the statement timeout while DuckDB parses or plans (when
it does not honour interrupts), on cancel, or when the worker dies. The calling process does not
grow, and the next statement runs on a fresh worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from executors.engines.base import QueryLimits
from executors.engines.duckdb_local import LocalDuckDBEngine
from executors.engines.duckdb_pool import resident_bytes
from executors.errors import QueryCancelled, QueryFailed, QueryTimeout
from executors.tests.statements import StatementThread

# 1.5 GB of strings in one DuckDB chunk (issue 16, finding 2), far past the worker's bound.
WIDE_ROWS = "SELECT repeat('x', 1000000) AS s FROM range(1500)"
# 20,000 UNION terms: DuckDB plans this for many seconds, growing, and ignores interrupts.
PLANNING_BOMB = " UNION ALL ".join(["SELECT 1"] * 20_000)
WORKER_MEMORY = 600 * 2**20


@pytest.fixture
def engine(demo_db_path: Path, tmp_path: Path) -> Iterator[LocalDuckDBEngine]:
    local = LocalDuckDBEngine(
        "runaway-test",
        demo_db_path,
        memory_limit="256MB",
        threads=1,
        temp_directory=tmp_path / "tmp",
        pool_size=1,
        worker_memory=WORKER_MEMORY,
    )
    yield local
    local.close()


def _answers(engine: LocalDuckDBEngine) -> bool:
    result = engine.run("SELECT 42 AS answer", limits=QueryLimits(), tag="after")
    return result.table is not None and result.table.to_pylist() == [{"answer": 42}]


def test_statement_past_the_memory_bound_fails_typed_and_the_worker_is_replaced(
    engine: LocalDuckDBEngine,
) -> None:
    assert _answers(engine)
    before = engine.worker_pids()
    ours = resident_bytes(os.getpid())
    with pytest.raises(QueryFailed, match="needed more memory than allowed") as failed:
        engine.run(WIDE_ROWS, limits=QueryLimits(timeout_s=60), tag="wide")
    assert failed.value.code == "query_failed"
    assert resident_bytes(os.getpid()) - ours < 200 * 2**20  # the caller did not grow
    assert _answers(engine)
    assert engine.worker_pids() != before


def test_internal_statements_are_bounded_the_same_way(engine: LocalDuckDBEngine) -> None:
    with pytest.raises(QueryFailed, match="needed more memory than allowed"):
        engine.run_internal(WIDE_ROWS, limits=QueryLimits(timeout_s=60))
    assert _answers(engine)


def test_planning_that_ignores_interrupts_is_killed_at_the_timeout(
    engine: LocalDuckDBEngine,
) -> None:
    started = time.monotonic()
    with pytest.raises((QueryTimeout, QueryFailed)) as stopped:
        engine.run(PLANNING_BOMB, limits=QueryLimits(timeout_s=1.0), tag="bomb")
    assert stopped.value.code in {"query_timeout", "query_failed"}
    assert time.monotonic() - started < 30
    assert _answers(engine)


def test_cancel_stops_a_statement_that_ignores_interrupts(engine: LocalDuckDBEngine) -> None:
    worker = StatementThread(
        engine, PLANNING_BOMB, limits=QueryLimits(timeout_s=120), tag="to-cancel"
    )
    worker.start()
    cancelled = worker.cancel_once_known("to-cancel", poll_s=0.05)
    worker.join(timeout=60)
    assert cancelled and not worker.is_alive()
    assert len(worker.raised) == 1 and isinstance(worker.raised[0], (QueryCancelled, QueryFailed))
    assert _answers(engine)


def test_a_worker_that_dies_mid_statement_is_a_typed_failure(engine: LocalDuckDBEngine) -> None:
    assert _answers(engine)
    (pid,) = engine.worker_pids()
    threading.Timer(0.5, os.kill, args=(pid, signal.SIGKILL)).start()
    with pytest.raises(QueryFailed, match="stopped unexpectedly"):
        engine.run(PLANNING_BOMB, limits=QueryLimits(timeout_s=60), tag="dies")
    assert _answers(engine)


def test_result_beyond_the_byte_limit_is_cut_and_reported_truncated(
    engine: LocalDuckDBEngine,
) -> None:
    limits = QueryLimits(max_bytes=20 * 2**20, timeout_s=60)
    result = engine.run("SELECT repeat('x', 100000) AS s FROM range(1000)", limits=limits, tag="t")
    assert result.truncated
    assert result.arrow_bytes is not None and result.arrow_bytes <= 20 * 2**20
    assert 150 <= result.row_count < 1000


def test_large_result_is_written_as_parquet_by_the_worker(
    demo_db_path: Path, tmp_path: Path
) -> None:
    spill = tmp_path / "results"
    local = LocalDuckDBEngine(
        "spill-test", demo_db_path, pool_size=1, spill_directory=spill, spill_bytes=64 * 1024
    )
    try:
        small = local.run("SELECT 1 AS one", limits=QueryLimits(), tag="small")
        assert small.table is not None and small.parquet_path is None
        big = local.run("SELECT * FROM order_items", limits=QueryLimits(), tag="big")
        assert big.table is None and big.parquet_path is not None
        assert big.parquet_path.parent == spill and big.parquet_path.exists()
        assert big.row_count > 10_000 and not big.truncated
    finally:
        local.close()

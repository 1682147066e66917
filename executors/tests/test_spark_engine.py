"""The Spark engine against a real local Spark Connect server: Arrow results, typed errors, stage
progress of a multi-stage job, cancel and timeout through job tags, large results as Parquet."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from executors.engines.base import Progress, QueryLimits
from executors.engines.spark import SparkEngine
from executors.errors import EngineUnavailable, QueryCancelled, QueryFailed, QueryTimeout
from executors.testing.server_fixtures import SparkConnectServer, free_port
from executors.tests.statements import StatementThread

LIMITS = QueryLimits(max_rows=1000, timeout_s=120)
# Two shuffles (join, then group by) give a job of several stages.
MULTI_STAGE = (
    "SELECT a.id % 7 AS bucket, count(*) AS n, sum(b.id) AS total "
    "FROM range(200000) a JOIN range(200000) b ON a.id = b.id GROUP BY 1 ORDER BY 1"
)
# Runs for hours unless stopped.
ENDLESS = "SELECT count(*) AS n FROM range(1000000000000)"
PROGRESS_TEXT = re.compile(r"Spark tasks \((\d+) of (\d+) stages finished\)")
# Far beyond the timeouts below, far short of ENDLESS: a caller still waiting then is waiting
# for the cluster, not for our timeout.
ANSWER_BOUND_S = 60


@pytest.fixture
def small_limit_engine(
    spark_connect_server: SparkConnectServer, tmp_path: Path
) -> Iterator[SparkEngine]:
    """An engine that treats more than 1000 rows as a large result."""
    engine = SparkEngine(
        "spark-small",
        spark_connect_server.url,
        spark_connect_server.token,
        tmp_path / "results",
        small_rows=1000,
    )
    yield engine
    engine.close()


def test_spark_query_returns_the_demo_data_as_arrow(
    spark_engine: SparkEngine, quack_demo_database: Path
) -> None:
    sql = (
        "SELECT s.region, count(DISTINCT o.order_id) AS orders, sum(i.quantity) AS units "
        "FROM orders o JOIN stores s ON o.store_id = s.store_id "
        "JOIN order_items i ON i.order_id = o.order_id GROUP BY s.region ORDER BY s.region"
    )
    result = spark_engine.run(sql, limits=LIMITS, tag="spark-arrow")
    assert result.table is not None and result.parquet_path is None
    with duckdb.connect(str(quack_demo_database), read_only=True) as con:
        expected = con.execute(sql).fetchall()
    assert [tuple(row.values()) for row in result.table.to_pylist()] == expected
    assert result.row_count == 5 and not result.truncated


def test_spark_reports_progress_of_a_multi_stage_job(spark_engine: SparkEngine) -> None:
    seen: list[Progress] = []
    result = spark_engine.run(
        MULTI_STAGE, limits=LIMITS, tag="spark-progress", on_progress=seen.append
    )
    assert result.table is not None and result.table.num_rows == 7
    assert len({snapshot.stage for snapshot in seen}) >= 2
    assert all(0 <= snapshot.done <= snapshot.total for snapshot in seen)
    assert [s.done for s in seen] == sorted(s.done for s in seen)
    assert seen[-1].total > 0 and seen[-1].done == seen[-1].total


def test_spark_progress_text_names_what_its_counts_count(spark_engine: SparkEngine) -> None:
    seen: list[Progress] = []
    spark_engine.run(MULTI_STAGE, limits=LIMITS, tag="spark-progress-text", on_progress=seen.append)
    assert seen
    for snapshot in seen:
        # `done`/`total` are tasks, and the text says so; its stage counts are a different unit.
        found = PROGRESS_TEXT.fullmatch(snapshot.stage)
        assert found, snapshot.stage
        finished, stages = int(found[1]), int(found[2])
        assert 0 <= finished <= stages <= snapshot.total
    last = PROGRESS_TEXT.fullmatch(seen[-1].stage)
    assert last is not None and last[1] == last[2]
    assert seen[-1].done == seen[-1].total


def test_spark_cancel_interrupts_a_running_job(
    spark_engine: SparkEngine, spark_connect_server: SparkConnectServer
) -> None:
    running = threading.Event()
    worker = StatementThread(
        spark_engine,
        ENDLESS,
        limits=QueryLimits(timeout_s=600),
        tag="spark-cancel",
        on_progress=lambda _progress: running.set(),
    )
    worker.start()
    assert running.wait(timeout=120), "the job never reported progress"
    assert spark_engine.cancel("spark-cancel")
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert len(worker.raised) == 1 and isinstance(worker.raised[0], QueryCancelled)
    assert not spark_engine.cancel("spark-cancel")
    spark_connect_server.assert_stopped("spark-cancel", bound_s=ANSWER_BOUND_S)


def test_spark_cancel_before_the_statement_reaches_the_cluster_starts_no_job(
    spark_engine: SparkEngine, spark_connect_server: SparkConnectServer
) -> None:
    worker = StatementThread(
        spark_engine, ENDLESS, limits=QueryLimits(timeout_s=600), tag="spark-early"
    )
    worker.start()
    # Cancel the moment the engine knows the statement: before its first Spark operation.
    assert worker.cancel_once_known("spark-early", poll_s=0.001), worker.raised
    worker.join(timeout=ANSWER_BOUND_S)
    assert not worker.is_alive()
    assert len(worker.raised) == 1 and isinstance(worker.raised[0], QueryCancelled)
    # The statement's thread is over, so no job of it can start any more: none ever did.
    assert spark_connect_server.jobs_tagged("spark-early") == []


def test_spark_timeout_interrupts_the_job(
    spark_engine: SparkEngine, spark_connect_server: SparkConnectServer
) -> None:
    with pytest.raises(QueryTimeout):
        spark_engine.run(ENDLESS, limits=QueryLimits(timeout_s=3), tag="spark-timeout")
    spark_connect_server.assert_stopped("spark-timeout", bound_s=ANSWER_BOUND_S)


def test_spark_timeout_answers_even_when_the_cluster_does_not(
    spark_engine: SparkEngine, spark_connect_server: SparkConnectServer
) -> None:
    raised: list[BaseException] = []
    running = threading.Event()

    def run() -> None:
        try:
            spark_engine.run(
                ENDLESS,
                limits=QueryLimits(timeout_s=3),
                tag="spark-frozen",
                on_progress=lambda _progress: running.set(),
            )
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert running.wait(timeout=120), "the job never reported progress"
    spark_connect_server.pause()  # the cluster hears neither the interrupt nor anything else
    try:
        worker.join(timeout=ANSWER_BOUND_S)
        assert not worker.is_alive(), "the caller is still waiting for the cluster"
    finally:
        spark_connect_server.resume()
    assert len(raised) == 1 and isinstance(raised[0], QueryTimeout)
    # Back on its feet, the cluster gets the interrupt that kept being sent and ends the job.
    spark_connect_server.assert_stopped("spark-frozen", bound_s=ANSWER_BOUND_S)
    assert spark_engine.run("SELECT 1 AS one", limits=LIMITS, tag="spark-after").row_count == 1


def test_spark_large_result_lands_as_parquet(small_limit_engine: SparkEngine) -> None:
    result = small_limit_engine.run(
        "SELECT id, id * 2 AS twice FROM range(50000)",
        limits=QueryLimits(max_rows=1_000_000, timeout_s=120),
        tag="spark-large",
    )
    assert result.table is None and result.parquet_path is not None
    assert result.parquet_path.parent == small_limit_engine.results_dir
    table = ds.dataset(result.parquet_path, format="parquet").to_table()
    assert table.num_rows == result.row_count == 50000
    assert not result.truncated
    assert sorted(table.column("id").to_pylist()) == list(range(50000))
    assert result.schema is not None and result.schema.names == ["id", "twice"]


def test_spark_large_result_beyond_the_row_limit_is_truncated(
    small_limit_engine: SparkEngine,
) -> None:
    result = small_limit_engine.run(
        "SELECT id FROM range(50000)",
        limits=QueryLimits(max_rows=20000, timeout_s=120),
        tag="spark-large-truncated",
    )
    assert result.parquet_path is not None
    assert result.truncated and result.row_count == 20000
    assert ds.dataset(result.parquet_path, format="parquet").count_rows() == 20000


def test_spark_small_result_stays_in_memory_even_on_a_small_limit_engine(
    small_limit_engine: SparkEngine,
) -> None:
    result = small_limit_engine.run(
        "SELECT id FROM range(1000)",
        limits=QueryLimits(max_rows=1_000_000, timeout_s=120),
        tag="spark-small",
    )
    assert result.table is not None and result.table.num_rows == 1000
    assert not list(small_limit_engine.results_dir.glob("spark-*"))


def test_spark_sql_error_is_a_query_failure(spark_engine: SparkEngine) -> None:
    with pytest.raises(QueryFailed) as failed:
        spark_engine.run("SELECT no_such_column FROM stores", limits=LIMITS, tag="spark-bad")
    assert "no_such_column" in failed.value.message
    assert "JVM stacktrace" not in failed.value.message


def test_spark_catalog_lists_the_demo_tables(spark_engine: SparkEngine) -> None:
    tables = {table.name: table for table in spark_engine.catalog()}
    assert {"stores", "customers", "products", "orders", "order_items"} <= set(tables)
    orders = tables["orders"]
    assert [column.name for column in orders.columns][:2] == ["order_id", "order_date"]
    assert {column.name: column.type for column in orders.columns}["order_date"] == "date"
    assert tables["orders"].description


def test_spark_is_healthy(spark_engine: SparkEngine) -> None:
    health = spark_engine.health()
    assert health.ok and "Spark" in health.detail


def test_spark_unreachable_cluster_is_engine_unavailable(tmp_path: Path) -> None:
    engine = SparkEngine("spark-down", f"sc://localhost:{free_port()}", None, tmp_path)
    try:
        assert not engine.health().ok
        with pytest.raises(EngineUnavailable) as unavailable:
            engine.run("SELECT 1", limits=LIMITS, tag="spark-down")
        assert unavailable.value.kind == "unavailable"
    finally:
        engine.close()


def test_spark_wrong_token_is_engine_unavailable(
    spark_connect_server: SparkConnectServer, tmp_path: Path
) -> None:
    engine = SparkEngine("spark-token", spark_connect_server.url, "not-the-token", tmp_path)
    try:
        with pytest.raises(EngineUnavailable) as unavailable:
            engine.run("SELECT 1", limits=LIMITS, tag="spark-token")
        assert "not-the-token" not in unavailable.value.message
    finally:
        engine.close()

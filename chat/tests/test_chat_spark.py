"""Spark through the whole stack: chat runs whose statements go to the Spark Connect test server.
Progress streams as `progress` events whose text and counts agree; Stop and the statement timeout
cancel the job on the cluster wherever it is in its life (checked in the driver's own job list);
a large result is written as Parquet by Spark and served from /api/data."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import httpx
import pyarrow.parquet as pq
import pytest

from chat.tests.contract import assert_contract
from chat.tests.scripted_llm import SPARK_JOBS, ScriptedLLM
from chat.tests.sse import Event, ask, client_for, iter_events, names, open_stream
from executors.testing.server_fixtures import SparkConnectServer
from vizorch_site.testing import LiveServer

# Long enough for the multi-stage job on a busy machine, short enough to wait out once.
QUERY_TIMEOUT_S = 25
PROGRESS_TEXT = re.compile(r"Spark tasks \((\d+) of (\d+) stages finished\)")
CLUSTER_BOUND_S = 60


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    scripted_llm: ScriptedLLM,
    spark_connect_server: SparkConnectServer,
) -> Iterator[LiveServer]:
    """daphne with the scripted model, the Spark engine as the default one, and its results in
    a directory the Spark driver writes to as well (same machine: shared storage)."""
    var_dir = tmp_path_factory.mktemp("chat-spark")
    env = {
        "VIZORCH_LLM": "openai-compatible:scripted",
        "VIZORCH_LLM_BASE_URL": scripted_llm.base_url,
        "VIZORCH_LLM_API_KEY": "scripted-key",
        "VIZORCH_SPARK_URL": spark_connect_server.url,
        "VIZORCH_SPARK_TOKEN": spark_connect_server.token,
        "VIZORCH_DEFAULT_ENGINE": "spark",
        "VIZORCH_QUERY_TIMEOUT_S": str(QUERY_TIMEOUT_S),
        "VIZORCH_RESULTS_DIR": str(var_dir / "results"),
        "REDIS_URL": "",
    }
    live = LiveServer(var_dir=var_dir, extra_env=env)
    try:
        yield live.start()
    finally:
        live.stop()


@pytest.fixture(scope="module")
def analyst(server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(server, "analyst") as client:
        yield client


def finished_status(client: httpx.Client, run_id: str) -> str:
    """The run's status once it has left `pending`/`running` (the row is written just after
    `done` is sent)."""
    deadline = time.monotonic() + CLUSTER_BOUND_S
    while (status := client.get(f"/api/runs/{run_id}").json()["status"]) in {"pending", "running"}:
        assert time.monotonic() < deadline, f"run {run_id} is still {status}"
        time.sleep(0.1)
    return str(status)


def test_a_spark_job_streams_progress_whose_text_and_counts_agree(
    analyst: httpx.Client, spark_connect_server: SparkConnectServer
) -> None:
    events = ask(analyst, "[spark-stages] How are ids spread over seven buckets?")
    assert_contract(events)
    assert "error" not in names(events), [e.data for e in events if e.event == "error"]
    (sql,) = [e.data for e in events if e.event == "sql"]
    assert sql == {"type": "sql", "engine": "spark", "sql": SPARK_JOBS["[spark-stages]"]}
    progress = [e.data for e in events if e.event == "progress"]
    assert progress, names(events)
    for snapshot in progress:
        found = PROGRESS_TEXT.fullmatch(snapshot["stage"])
        assert found, snapshot
        assert 0 <= snapshot["done"] <= snapshot["total"]
        assert 0 <= int(found[1]) <= int(found[2]) <= snapshot["total"]
    assert [p["done"] for p in progress] == sorted(p["done"] for p in progress)
    last = PROGRESS_TEXT.fullmatch(progress[-1]["stage"])
    assert last is not None and last[1] == last[2] and progress[-1]["done"] == progress[-1]["total"]
    # Progress comes while the statement runs: after its `sql` event, before its `data` event.
    order = names(events)
    assert order.index("sql") < order.index("progress") < order.index("data")
    data_url = next(e.data["url"] for e in events if e.event == "data")
    rows = analyst.get(data_url).json()["rows"]
    assert [row[:2] for row in rows] == [[bucket, 300000 // 7 + (bucket < 300000 % 7)]
                                          for bucket in range(7)]  # fmt: skip
    run_id = events[0].data["run_id"]
    assert {job["status"] for job in spark_connect_server.jobs_tagged(run_id)} == {"SUCCEEDED"}


def _stop_at(analyst: httpx.Client, event_name: str) -> str:
    """Ask for an endless Spark count, press Stop once the stream shows `event_name`, and check
    the run ends stopped without data; its run id."""
    seen: list[Event] = []
    with open_stream(
        analyst, "POST", "/api/chat", json={"prompt": "[spark-endless] Count to a trillion"}
    ) as source:
        stream = iter_events(source)
        for event in stream:
            seen.append(event)
            if event.event == event_name:
                break
        run_id = str(seen[0].data["run_id"])
        cancelled = analyst.post(f"/api/runs/{run_id}/cancel")
        assert cancelled.status_code == 202, cancelled.text
        seen.extend(stream)
    assert_contract(seen)
    assert names(seen)[-1] == "done" and "data" not in names(seen)
    assert finished_status(analyst, run_id) == "cancelled"
    return run_id


def test_stop_cancels_the_job_on_the_cluster(
    analyst: httpx.Client, spark_connect_server: SparkConnectServer
) -> None:
    run_id = _stop_at(analyst, "progress")  # the job is running on the cluster
    spark_connect_server.assert_stopped(run_id, bound_s=CLUSTER_BOUND_S)


def test_stop_as_the_statement_is_shown_leaves_no_job_running(
    analyst: httpx.Client, spark_connect_server: SparkConnectServer
) -> None:
    """Stop lands wherever the statement is then: queued, granted, on its way to Spark or just
    started there. The run ends stopped and the cluster runs nothing of it."""
    run_id = _stop_at(analyst, "sql")
    if spark_connect_server.jobs_tagged(run_id):  # it had reached the cluster
        spark_connect_server.assert_stopped(run_id, bound_s=CLUSTER_BOUND_S)


def test_the_statement_timeout_cancels_the_job_on_the_cluster(
    analyst: httpx.Client, spark_connect_server: SparkConnectServer
) -> None:
    events = ask(analyst, "[spark-endless] Count to a trillion, and wait for it")
    assert_contract(events)
    (error,) = [e.data for e in events if e.event == "error"]
    assert error["stage"] == "sql_execution"
    assert f"longer than the {QUERY_TIMEOUT_S}s limit" in error["message"]
    assert events[-1].data == {"type": "complete", "code_complete": False, "data_ready": False}
    spark_connect_server.assert_stopped(events[0].data["run_id"], bound_s=CLUSTER_BOUND_S)


def test_a_large_result_is_written_as_parquet_by_spark_and_served(
    server: LiveServer, analyst: httpx.Client, spark_connect_server: SparkConnectServer
) -> None:
    events = ask(analyst, "[spark-large] List sixty thousand ids")
    assert_contract(events)
    (data,) = [e.data for e in events if e.event == "data"]
    assert data["size"] == "large" and data["format"] == "parquet"
    # The cluster wrote the files itself: one of the run's jobs is a Parquet write.
    jobs = spark_connect_server.jobs_tagged(events[0].data["run_id"])
    plans = spark_connect_server.sql_plans({job["jobId"] for job in jobs})
    assert any(
        "InsertIntoHadoopFsRelationCommand" in plan and "Parquet" in plan for plan in plans
    ), plans
    parquet = analyst.get(data["url"], params={"format": "parquet"})
    assert parquet.status_code == 200
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 60000
    assert sorted(table.column("id").to_pylist()) == list(range(60000))
    assert table.column("twice").to_pylist()[:1] == [table.column("id")[0].as_py() * 2]
    as_json = analyst.get(data["url"], params={"format": "json"})
    assert as_json.status_code == 413
    assert as_json.json()["code"] == "result_too_large"
    # Vizorch adopted Spark's part files into its one result file and left none behind.
    assert not list((server.var_dir / "results").glob("spark-*"))


@pytest.fixture(scope="module")
def offline_server(
    tmp_path_factory: pytest.TempPathFactory, spark_connect_server: SparkConnectServer
) -> Iterator[LiveServer]:
    """daphne with the built-in offline model and the Spark engine beside the local one."""
    var_dir = tmp_path_factory.mktemp("chat-spark-offline")
    env = {
        "VIZORCH_LLM": "offline",
        "VIZORCH_SPARK_URL": spark_connect_server.url,
        "VIZORCH_SPARK_TOKEN": spark_connect_server.token,
        "VIZORCH_RESULTS_DIR": str(var_dir / "results"),
        "REDIS_URL": "",
    }
    live = LiveServer(var_dir=var_dir, extra_env=env)
    try:
        yield live.start()
    finally:
        live.stop()


def test_the_offline_analyst_answers_on_spark_as_on_duckdb(offline_server: LiveServer) -> None:
    with client_for(offline_server, "analyst") as client:
        on_spark = ask(client, "Show total sales by region", engine="spark")
        on_duckdb = ask(client, "Show total sales by region", engine="local")
        assert_contract(on_spark)
        assert "error" not in names(on_spark), [e.data for e in on_spark if e.event == "error"]
        assert next(e.data["engine"] for e in on_spark if e.event == "sql") == "spark"
        rows = [
            client.get(next(e.data["url"] for e in events if e.event == "data")).json()["rows"]
            for events in (on_spark, on_duckdb)
        ]
    spark_rows, duckdb_rows = rows
    assert [row[0] for row in spark_rows] == [row[0] for row in duckdb_rows]
    assert [row[1] for row in spark_rows] == pytest.approx([row[1] for row in duckdb_rows])

"""Results are bounded by their Arrow bytes (VIZORCH_MAX_RESULT_BYTES), sized small or large by the
same measure (not by Parquet's dictionary-encoded statistics), and their JSON form has its own cap
(VIZORCH_MAX_JSON_BYTES) answered with a 413 that names the Parquet form."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client

from executors import results
from executors.engines.base import EngineResult
from executors.engines.duckdb_pool import resident_bytes
from executors.models import QueryResult

# Thirty megabytes of one repeated string: Parquet stores (and its statistics count) a few kB.
REPEATED = "SELECT repeat('x', 100000) AS s FROM range(300)"


@pytest.fixture
def client(executor_settings: Any, analyst: Any) -> Client:
    executor_settings.VIZORCH_DUCKDB_WORKER_MEMORY = "1GB"
    client = Client()
    client.force_login(analyst)
    return client


def _query(client: Client, sql: str) -> Any:
    return client.post("/api/query", data={"sql": sql}, content_type="application/json")


@pytest.mark.django_db
def test_a_repeated_string_result_is_large_by_its_arrow_size(client: Client) -> None:
    created = _query(client, REPEATED)
    assert created.status_code == 200, created.content
    body = created.json()
    assert body["size"] == "large" and body["format"] == "parquet"
    assert body["row_count"] == 300 and not body["truncated"]
    refused = client.get(f"{body['url']}?format=json")
    assert refused.status_code == 413
    assert refused.json()["code"] == "result_too_large"
    assert "?format=parquet" in refused.json()["message"]


@pytest.mark.django_db
def test_a_result_past_the_byte_limit_is_truncated(client: Client, executor_settings: Any) -> None:
    executor_settings.VIZORCH_MAX_RESULT_BYTES = 5 * 2**20
    body = _query(client, REPEATED).json()
    assert body["truncated"] is True
    assert 40 <= body["row_count"] < 60  # 5 MiB of 100 kB rows
    served = client.get(f"{body['url']}?format=parquet")
    assert served["X-Truncated"] == "true"


@pytest.mark.django_db
def test_megabyte_rows_do_not_grow_the_server(client: Client) -> None:
    # Issue 16, finding 2: 1.5 GB of rows grew the server by 3 GB while it stored them.
    before = resident_bytes(os.getpid())
    answer = _query(client, "SELECT repeat('x', 1000000) FROM range(1500)")
    assert resident_bytes(os.getpid()) - before < 300 * 2**20
    if answer.status_code == 200:
        assert answer.json()["truncated"] is True
    else:
        assert answer.status_code == 400
        assert answer.json()["code"] == "query_failed"
        assert "more memory than allowed" in answer.json()["message"]


@pytest.mark.django_db
def test_json_beyond_its_cap_is_a_413_naming_parquet(
    client: Client, executor_settings: Any
) -> None:
    executor_settings.VIZORCH_MAX_JSON_BYTES = 1_000
    body = _query(client, "SELECT * FROM stores").json()
    assert body["size"] == "small"
    refused = client.get(body["url"])
    assert refused.status_code == 413
    assert refused.json()["code"] == "result_too_large"
    assert f"{body['url']}?format=parquet" in refused.json()["message"]
    parquet = client.get(f"{body['url']}?format=parquet")
    assert parquet.status_code == 200 and parquet["X-Row-Count"] == "50"


@pytest.mark.django_db
def test_json_within_its_cap_is_the_same_document(client: Client) -> None:
    body = _query(client, "SELECT store_id, region FROM stores ORDER BY store_id").json()
    served = client.get(body["url"]).json()
    assert served["columns"] == ["store_id", "region"]
    assert len(served["rows"]) == 50 and served["rows"][0][0] == 1


@pytest.mark.django_db
def test_the_store_cuts_an_engine_table_past_the_limit(executor_settings: Any) -> None:
    executor_settings.VIZORCH_MAX_RESULT_BYTES = 80_000
    table = pa.table({"n": pa.array(range(100_000), pa.int64())})  # 800 kB
    record = results.store_result(EngineResult(table=table), owner=None, engine="x", sql="q")
    assert record.truncated and 9_000 <= record.row_count <= 10_000


@pytest.mark.django_db
def test_the_store_cuts_spark_part_files_past_the_limit(
    executor_settings: Any, tmp_path: Path
) -> None:
    executor_settings.VIZORCH_MAX_RESULT_BYTES = 80_000
    parts = tmp_path / "job"
    parts.mkdir()
    for i in range(3):
        chunk = pa.table({"n": pa.array(range(i * 10_000, (i + 1) * 10_000), pa.int64())})
        pq.write_table(chunk, parts / f"part-{i}.parquet")
    record = results.store_result(
        EngineResult(parquet_path=parts, row_count=30_000), owner=None, engine="spark", sql="q"
    )
    assert record.truncated and record.row_count <= 10_000
    assert record.size == QueryResult.SMALL

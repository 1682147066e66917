"""`POST /api/query` and `GET /api/data/{id}`: format negotiation, caching headers, permissions,
the JSON size limit and the per-user concurrency limit, through the real API."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from executors import scheduling
from executors.access import register_result_access_check, unregister_result_access_check
from executors.models import QueryResult
from executors.tests.slots import held_slots

TYPED_SQL = (
    "SELECT order_id, order_date, status, CAST(12.5 AS DECIMAL(10, 2)) AS price, "
    "TIMESTAMP '2024-03-01 10:30:00' AS at, 'NaN'::DOUBLE AS nan FROM orders "
    "ORDER BY order_id LIMIT 3"
)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _query(client: Client, sql: str, engine: str | None = None) -> Any:
    return client.post(
        "/api/query", data={"sql": sql, "engine": engine}, content_type="application/json"
    )


def _body(response: Any) -> bytes:
    if not getattr(response, "streaming", False):
        return bytes(response.content)
    content = response.streaming_content
    if not hasattr(content, "__aiter__"):
        return b"".join(content)

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in content])

    return async_to_sync(collect)()


@pytest.fixture
def analyst_client(executor_settings: Any, analyst: Any) -> Client:
    return _client(analyst)


@pytest.fixture
def stored_id(analyst_client: Client) -> str:
    response = _query(analyst_client, TYPED_SQL)
    assert response.status_code == 200, response.content
    return str(response.json()["id"])


def test_query_answers_where_the_result_lives(analyst_client: Client) -> None:
    response = _query(analyst_client, "SELECT region, count(*) AS n FROM stores GROUP BY 1")
    assert response.status_code == 200
    body = response.json()
    assert body["url"] == f"/api/data/{body['id']}"
    assert body["size"] == "small" and body["format"] == "json"
    assert body["row_count"] == 5 and body["truncated"] is False
    assert [(c["name"], c["type"], c["arrow_type"]) for c in body["columns"]] == [
        ("region", "text", "string"),
        ("n", "integer", "int64"),
    ]


def test_refused_statement_answers_400_with_code_and_message(analyst_client: Client) -> None:
    response = _query(analyst_client, "DROP TABLE orders")
    assert response.status_code == 400
    assert response.json() == {
        "code": "sql_refused",
        "message": "DROP TABLE is not allowed: Vizorch runs read-only queries",
    }


def test_failing_statement_answers_400(analyst_client: Client) -> None:
    response = _query(analyst_client, "SELECT nope FROM stores")
    assert response.status_code == 400
    assert response.json()["code"] == "query_failed"
    assert "nope" in response.json()["message"]


def test_unknown_engine_is_named(analyst_client: Client) -> None:
    response = _query(analyst_client, "SELECT 1", engine="mainframe")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_engine"
    assert "mainframe" in response.json()["message"]


def test_viewer_may_not_run_sql(executor_settings: Any, viewer: Any) -> None:
    response = _query(_client(viewer), "SELECT 1")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_anonymous_caller_is_unauthenticated(executor_settings: Any, db: None) -> None:
    response = _query(Client(), "SELECT 1")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_json_is_the_spec_query_result_with_safe_values(
    analyst_client: Client, stored_id: str
) -> None:
    response = analyst_client.get(f"/api/data/{stored_id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(_body(response))
    assert data["columns"] == ["order_id", "order_date", "status", "price", "at", "nan"]
    first = data["rows"][0]
    assert first[0] == 1
    assert first[1] == "2021-01-01"
    assert first[3] == 12.5  # decimals are JSON numbers
    assert first[4] == "2024-03-01T10:30:00"
    assert first[5] is None  # NaN has no JSON form
    assert len(data["rows"]) == 3


def test_parquet_by_format_parameter(analyst_client: Client, stored_id: str) -> None:
    response = analyst_client.get(f"/api/data/{stored_id}?format=parquet")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(_body(response)))
    assert table.num_rows == 3 and table.column_names[0] == "order_id"
    assert str(table.schema.field("price").type) == "decimal128(10, 2)"


def test_arrow_stream_by_accept_header(analyst_client: Client, stored_id: str) -> None:
    response = analyst_client.get(
        f"/api/data/{stored_id}",
        headers={"Accept": "application/vnd.apache.arrow.stream, application/json;q=0.5"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apache.arrow.stream"
    table = pa.ipc.open_stream(_body(response)).read_all()
    assert table.num_rows == 3 and table.column("status").to_pylist()[0] in {
        "Completed",
        "Returned",
        "Cancelled",
    }


def test_unknown_format_is_refused(analyst_client: Client, stored_id: str) -> None:
    response = analyst_client.get(f"/api/data/{stored_id}?format=xlsx")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_format"


def test_strong_etag_and_immutable_private_caching(analyst_client: Client, stored_id: str) -> None:
    first = analyst_client.get(f"/api/data/{stored_id}")
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    cache_control = [part.strip() for part in first["Cache-Control"].split(",")]
    assert "private" in cache_control and "immutable" in cache_control
    again = analyst_client.get(f"/api/data/{stored_id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    parquet = analyst_client.get(
        f"/api/data/{stored_id}?format=parquet", headers={"If-None-Match": etag}
    )
    assert parquet.status_code == 200  # another representation, another tag
    assert parquet["ETag"] != etag


def test_large_result_refuses_json_and_names_parquet(
    analyst_client: Client, executor_settings: Any
) -> None:
    executor_settings.VIZORCH_RESULT_SMALL_ROWS = 10
    created = _query(analyst_client, "SELECT * FROM stores").json()
    assert created["size"] == "large" and created["format"] == "parquet"
    refused = analyst_client.get(f"/api/data/{created['id']}?format=json")
    assert refused.status_code == 413
    assert refused.json()["code"] == "result_too_large"
    assert f"/api/data/{created['id']}?format=parquet" in refused.json()["message"]
    default = analyst_client.get(f"/api/data/{created['id']}")
    assert default.status_code == 200
    assert default["Content-Type"] == "application/vnd.apache.parquet"
    assert pq.read_table(io.BytesIO(_body(default))).num_rows == 50


def test_other_users_get_404_not_403(
    analyst_client: Client, stored_id: str, other_analyst: Any
) -> None:
    response = _client(other_analyst).get(f"/api/data/{stored_id}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such result."}
    missing = analyst_client.get("/api/data/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert response.json() == missing.json()
    assert missing.json()["code"] == "not_found"


def test_access_check_hook_grants_reading(
    analyst_client: Client, stored_id: str, other_analyst: Any
) -> None:
    def shared_with_otto(user: Any, result: QueryResult) -> bool:
        return bool(user.username == "otto" and str(result.id) == stored_id)

    register_result_access_check(shared_with_otto)
    try:
        assert _client(other_analyst).get(f"/api/data/{stored_id}").status_code == 200
    finally:
        unregister_result_access_check(shared_with_otto)
    response = _client(other_analyst).get(f"/api/data/{stored_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_concurrency_limit_answers_429_with_retry_after(
    analyst_client: Client, analyst: Any, executor_settings: Any
) -> None:
    executor_settings.VIZORCH_QUERY_CONCURRENCY = 1
    executor_settings.VIZORCH_QUERY_MAX_WAIT_S = 0.3
    # One statement of this user already running, through the scheduler the API uses.
    with held_slots(scheduling.scheduler(), "local", str(analyst.pk), 1):
        response = _query(analyst_client, "SELECT 1")
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_queries"
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "too_many_queries"
    assert _query(analyst_client, "SELECT 1").status_code == 200


def test_a_full_engine_answers_503_with_retry_after(
    analyst_client: Client, other_analyst: Any, executor_settings: Any
) -> None:
    executor_settings.VIZORCH_ENGINE_CONCURRENCY = {"local": 2}
    executor_settings.VIZORCH_QUERY_MAX_WAIT_S = 0.3
    # Another user's statements take the engine's first slot and two different users the rest.
    with (
        held_slots(scheduling.scheduler(), "local", str(other_analyst.pk), 1),
        held_slots(scheduling.scheduler(), "local", "someone-else", 1),
    ):
        response = _query(analyst_client, "SELECT 1")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "engine_busy"
    assert "local" in body["message"]
    assert _query(analyst_client, "SELECT 1").status_code == 200

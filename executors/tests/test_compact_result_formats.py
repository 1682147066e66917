"""Compact result formats: Arrow IPC with dictionary-encoded strings and zstd buffers for clients
that ask (`codec=zstd`), and stored Parquet whose integer and floating-point columns are encoded
to fit (delta, byte stream split), with the column types unchanged."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client

from executors.tests.test_result_api import _body, _client, _query

SQL = (
    "SELECT order_id, order_date, status, CAST(order_id AS DOUBLE) / 7 AS share "
    "FROM orders ORDER BY order_id LIMIT 5000"
)


@pytest.fixture
def analyst_client(executor_settings: Any, analyst: Any) -> Client:
    return _client(analyst)


@pytest.fixture
def stored_id(analyst_client: Client) -> str:
    response = _query(analyst_client, SQL)
    assert response.status_code == 200, response.content
    return str(response.json()["id"])


def _arrow(client: Client, result_id: str, query: str) -> bytes:
    response = client.get(f"/api/data/{result_id}?format=arrow{query}")
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/vnd.apache.arrow.stream"
    return _body(response)


def test_compact_arrow_reads_back_the_same_values_in_fewer_bytes(
    analyst_client: Client, stored_id: str
) -> None:
    plain = _arrow(analyst_client, stored_id, "")
    compact = _arrow(analyst_client, stored_id, "&codec=zstd")
    plain_table = pa.ipc.open_stream(plain).read_all()
    compact_table = pa.ipc.open_stream(compact).read_all()
    assert pa.types.is_dictionary(compact_table.schema.field("status").type)
    assert compact_table.column("status").to_pylist() == plain_table.column("status").to_pylist()
    for name in ("order_id", "order_date", "share"):
        assert compact_table.column(name).equals(plain_table.column(name))
    assert len(compact) * 2 < len(plain)


def test_an_unknown_codec_is_refused(analyst_client: Client, stored_id: str) -> None:
    response = analyst_client.get(f"/api/data/{stored_id}?format=arrow&codec=brotli")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_codec"


def test_stored_parquet_encodes_each_column_to_fit_and_keeps_its_type(
    analyst_client: Client, stored_id: str
) -> None:
    response = analyst_client.get(f"/api/data/{stored_id}?format=parquet")
    parquet = pq.ParquetFile(io.BytesIO(_body(response)))
    columns = parquet.metadata.row_group(0)
    encodings = {
        columns.column(i).path_in_schema: set(columns.column(i).encodings)
        for i in range(columns.num_columns)
    }
    assert "DELTA_BINARY_PACKED" in encodings["order_id"]
    assert "DELTA_BINARY_PACKED" in encodings["order_date"]
    assert "BYTE_STREAM_SPLIT" in encodings["share"]
    assert encodings["status"] & {"RLE_DICTIONARY", "PLAIN_DICTIONARY"}
    schema = parquet.schema_arrow
    assert pa.types.is_integer(schema.field("order_id").type)
    assert pa.types.is_date(schema.field("order_date").type)
    assert pa.types.is_floating(schema.field("share").type)
    assert pa.types.is_string(schema.field("status").type)

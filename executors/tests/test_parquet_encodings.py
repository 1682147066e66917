"""Stored Parquet picks each column's encoding from its data (delta or dictionary for integers,
dates and decimals, which are stored as integers; byte stream split or dictionary for doubles),
and the values read back unchanged, with their types, in pyarrow, DuckDB, polars and the portal's
reader (frontend/src/lib/parquet.test.ts reads the fixture of executors/testing/parquet_fixture.py,
which holds every encoding)."""

from __future__ import annotations

import decimal
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client

from executors.engines import parquet_options
from executors.testing.parquet_fixture import FIXTURE, fixture_table
from executors.tests.test_result_api import _body, _client, _query

# Ids, a few repeated values, a price (DECIMAL) and a double that repeats (a price times a
# quantity), a double that does not, and decimals of 18 and of 38 digits.
NUMERIC_SQL = (
    "SELECT order_item_id, product_id, quantity, unit_price, sales, "
    "CAST(order_item_id AS DOUBLE) / 7 AS share, "
    "CAST(unit_price * 3 AS DECIMAL(18, 4)) AS triple, "
    "CAST(unit_price AS DECIMAL(38, 2)) AS wide "
    "FROM order_items ORDER BY order_item_id"
)


@pytest.fixture
def analyst_client(executor_settings: Any, analyst: Any) -> Client:
    return _client(analyst)


def _engine_table(demo_db_path: Path, sql: str) -> pa.Table:
    """The statement's result as DuckDB itself returns it: the types and values to keep."""
    with duckdb.connect(str(demo_db_path), read_only=True) as con:
        return con.execute(sql).to_arrow_table()


def _stored(client: Client, sql: str, fmt: str) -> tuple[bytes, dict[str, Any]]:
    response = _query(client, sql)
    assert response.status_code == 200, response.content
    body = response.json()
    data = client.get(f"/api/data/{body['id']}?format={fmt}")
    assert data.status_code == 200
    return _body(data), body


@pytest.mark.parametrize("written_by", ["web process", "worker"])
def test_decimals_and_doubles_read_back_unchanged_from_parquet(
    analyst_client: Client, executor_settings: Any, demo_db_path: Path, written_by: str
) -> None:
    if written_by == "worker":
        # Results above this many Arrow bytes are written by the DuckDB worker itself.
        executor_settings.VIZORCH_RESULT_SMALL_BYTES = 64 * 1024
    expected = _engine_table(demo_db_path, NUMERIC_SQL)
    data, body = _stored(analyst_client, NUMERIC_SQL, "parquet")
    assert body["row_count"] == expected.num_rows
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.field("unit_price").type == pa.decimal128(10, 2)
    assert table.schema.field("wide").type == pa.decimal128(38, 2)
    assert table.schema.equals(expected.schema)
    assert table.equals(expected)
    with duckdb.connect() as con:
        con.execute("CREATE TABLE read_back AS SELECT * FROM read_parquet(?)", [_file(data)])
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns()").fetchall())
        rows = con.execute("SELECT * FROM read_back").fetchall()
    assert types["unit_price"] == "DECIMAL(10,2)"
    assert types["triple"] == "DECIMAL(18,4)"
    assert types["sales"] == "DOUBLE"
    assert rows == [tuple(row.values()) for row in expected.to_pylist()]
    assert isinstance(rows[0][3], decimal.Decimal)


def test_polars_reads_the_stored_parquet(
    analyst_client: Client, executor_settings: Any, demo_db_path: Path
) -> None:
    polars = pytest.importorskip("polars")
    expected = _engine_table(demo_db_path, NUMERIC_SQL)
    data, _ = _stored(analyst_client, NUMERIC_SQL, "parquet")
    frame = polars.read_parquet(io.BytesIO(data))
    assert frame.schema["unit_price"] == polars.Decimal(10, 2)
    assert frame.to_arrow().to_pylist() == expected.to_pylist()


def test_numeric_parquet_is_a_fraction_of_its_json(analyst_client: Client) -> None:
    sql = "SELECT order_item_id, product_id, quantity, unit_price, sales FROM order_items"
    parquet, body = _stored(analyst_client, sql, "parquet")
    as_json = analyst_client.get(f"/api/data/{body['id']}?format=json")
    assert len(json.loads(as_json.content)["rows"]) == body["row_count"]
    assert len(parquet) * 2.5 < len(as_json.content)


def test_each_numeric_column_gets_the_encoding_its_values_fit(analyst_client: Client) -> None:
    data, _ = _stored(analyst_client, NUMERIC_SQL, "parquet")
    chosen = {name: encodings for name, (_, encodings) in _encodings(_parquet(data)).items()}
    assert "DELTA_BINARY_PACKED" in chosen["order_item_id"]
    assert "RLE_DICTIONARY" in chosen["product_id"]
    assert "RLE_DICTIONARY" in chosen["quantity"]
    assert "RLE_DICTIONARY" in chosen["sales"]
    assert "BYTE_STREAM_SPLIT" in chosen["share"]


def test_the_portal_fixture_has_every_encoding_the_store_writes() -> None:
    """frontend/src/lib/parquet.test.ts decodes the fixture with hyparquet: it must hold a
    column of each type written with each encoding the store may choose for that type."""
    parquet = pq.ParquetFile(FIXTURE)
    found = _encodings(parquet)
    for field in parquet.schema_arrow:
        for encoding in parquet_options.candidates(field.type):
            assert any(
                parquet.schema_arrow.field(name).type == field.type and encoding in encodings
                for name, (_, encodings) in found.items()
            ), f"no {field.type} column written as {encoding}: write the fixture again"
    assert pq.read_table(FIXTURE).equals(fixture_table())


def test_duckdb_and_polars_read_every_encoding_of_the_fixture() -> None:
    expected = fixture_table().to_pylist()
    with duckdb.connect() as con:
        rows = con.execute("SELECT * FROM read_parquet(?)", [str(FIXTURE)]).fetchall()
    assert [dict(zip(expected[0], row, strict=True)) for row in rows] == expected
    polars = pytest.importorskip("polars")
    assert polars.read_parquet(FIXTURE).to_arrow().to_pylist() == expected


def _parquet(data: bytes) -> pq.ParquetFile:
    return pq.ParquetFile(io.BytesIO(data))


def _encodings(parquet: pq.ParquetFile) -> dict[str, tuple[str, set[str]]]:
    group = parquet.metadata.row_group(0)
    return {
        group.column(i).path_in_schema: (
            group.column(i).physical_type,
            set(group.column(i).encodings) - {"RLE"},
        )
        for i in range(group.num_columns)
    }


def _file(data: bytes) -> str:
    import tempfile

    handle = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)  # noqa: SIM115
    with handle:
        handle.write(data)
    return handle.name

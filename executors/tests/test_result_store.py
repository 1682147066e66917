"""The result store adopts what engines hand back: an Arrow table, a Parquet file, or a directory
of Parquet part files as Spark writes them; sizes and schemas are recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from executors import results
from executors.engines.base import EngineResult
from executors.models import QueryResult


def _table(start: int, stop: int) -> pa.Table:
    return pa.table({"n": pa.array(range(start, stop), pa.int64())})


@pytest.mark.django_db
def test_spark_style_part_directory_becomes_one_zstd_file(
    executor_settings: Any, tmp_path: Path
) -> None:
    executor_settings.VIZORCH_RESULT_SMALL_ROWS = 100
    parts = tmp_path / "job-output"
    parts.mkdir()
    pq.write_table(_table(0, 150), parts / "part-00000-abc.snappy.parquet")
    pq.write_table(_table(150, 300), parts / "part-00001-abc.snappy.parquet")
    (parts / "_SUCCESS").write_bytes(b"")
    (parts / ".part-00000-abc.snappy.parquet.crc").write_bytes(b"crc")

    record = results.store_result(
        EngineResult(parquet_path=parts, row_count=300, truncated=True),
        owner=None,
        engine="spark",
        sql="SELECT n FROM big",
    )

    assert not parts.exists()
    assert record.path.is_file() and record.path.parent == Path(
        executor_settings.VIZORCH_RESULTS_DIR
    )
    assert record.row_count == 300 and record.truncated
    assert record.size == QueryResult.LARGE
    assert record.schema == [{"name": "n", "type": "int64"}]
    metadata = pq.read_metadata(record.path)
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    assert sorted(pq.read_table(record.path).column("n").to_pylist()) == list(range(300))


@pytest.mark.django_db
def test_single_parquet_file_is_moved_into_the_store(
    executor_settings: Any, tmp_path: Path
) -> None:
    source = tmp_path / "out.parquet"
    pq.write_table(_table(0, 5), source)
    record = results.store_result(
        EngineResult(parquet_path=source, row_count=5), owner=None, engine="spark", sql="SELECT 1"
    )
    assert not source.exists()
    assert record.size == QueryResult.SMALL
    assert pq.read_table(record.path).num_rows == 5


@pytest.mark.django_db
def test_byte_threshold_also_makes_a_result_large(executor_settings: Any) -> None:
    executor_settings.VIZORCH_RESULT_SMALL_BYTES = 1_000
    record = results.store_result(
        EngineResult(table=_table(0, 10_000)), owner=None, engine="local", sql="SELECT n"
    )
    assert record.row_count == 10_000
    assert record.size == QueryResult.LARGE
    assert record.byte_size == record.path.stat().st_size


def test_json_values_are_encoded_as_documented() -> None:
    import datetime as dt
    import decimal

    assert results.json_safe(dt.date(2024, 2, 29)) == "2024-02-29"
    assert results.json_safe(dt.datetime(2024, 2, 29, 8, 5, tzinfo=dt.UTC)) == (
        "2024-02-29T08:05:00+00:00"
    )
    assert results.json_safe(decimal.Decimal("1234.50")) == 1234.5
    assert results.json_safe(float("inf")) is None
    assert results.json_safe(dt.timedelta(minutes=2)) == 120.0
    assert results.json_safe(b"\x00\x01") == "AAE="
    assert results.json_safe([("k", decimal.Decimal("1.5"))]) == {"k": 1.5}
    assert results.json_safe({"a": [dt.date(2021, 1, 1)]}) == {"a": ["2021-01-01"]}

"""The result store: every executed query's data becomes one Parquet file (zstd) in the result
directory plus a `QueryResult` row, and is served back as JSON, Parquet or an Arrow IPC stream.

JSON value encoding (the `QueryResult` payload `{"columns": [str], "rows": [[any]]}`):
- DATE, TIME and TIMESTAMP values are ISO 8601 strings (`2024-01-31`, `2024-01-31T12:00:00`,
  with the UTC offset for time-zone aware timestamps);
- DECIMAL values are JSON numbers (converted to float64, so beyond ~15 significant digits they are
  rounded; ask for Parquet or Arrow when exact decimals matter);
- NaN and infinities become null (JSON has no such numbers); durations are numbers of seconds;
- binary values are base64 strings; lists, structs and maps become arrays and objects.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import math
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from django.conf import settings
from django.utils import timezone

from executors.engines.base import EngineResult
from executors.models import QueryResult

PARQUET_COMPRESSION = "zstd"
ARROW_BATCH_ROWS = 64_000
DEFAULT_SMALL_ROWS = 50_000
DEFAULT_SMALL_BYTES = 16 * 1024 * 1024
DEFAULT_TTL = dt.timedelta(days=7)


def results_dir() -> Path:
    path = Path(settings.VIZORCH_RESULTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def small_limits() -> tuple[int, int]:
    """Rows and uncompressed bytes up to which a result is `small` (and served as JSON)."""
    rows = int(getattr(settings, "VIZORCH_RESULT_SMALL_ROWS", DEFAULT_SMALL_ROWS))
    size = int(getattr(settings, "VIZORCH_RESULT_SMALL_BYTES", DEFAULT_SMALL_BYTES))
    return rows, size


def result_ttl() -> dt.timedelta:
    hours = getattr(settings, "VIZORCH_RESULT_TTL_HOURS", None)
    return dt.timedelta(hours=float(hours)) if hours is not None else DEFAULT_TTL


def schema_json(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"name": field.name, "type": str(field.type)} for field in schema]


def write_parquet(result: EngineResult, result_id: uuid.UUID) -> Path:
    """Put the engine's data at `<results dir>/<id>.parquet`: write an in-memory table, or adopt
    the Parquet file (or directory of part files, as Spark writes them) the engine produced."""
    target = results_dir() / f"{result_id}.parquet"
    partial = target.with_name(f".{target.name}.partial")
    if result.table is not None:
        pq.write_table(result.table, partial, compression=PARQUET_COMPRESSION)
    elif result.parquet_path is not None:
        source = Path(result.parquet_path)
        if source.is_dir():
            _merge_parts(source, partial)
            shutil.rmtree(source, ignore_errors=True)
        else:
            shutil.move(str(source), partial)
    else:
        raise ValueError("the engine returned neither a table nor a Parquet file")
    os.replace(partial, target)
    return target


def _merge_parts(directory: Path, target: Path) -> None:
    dataset = pads.dataset(
        directory, format="parquet", exclude_invalid_files=True, ignore_prefixes=[".", "_"]
    )
    with pq.ParquetWriter(target, dataset.schema, compression=PARQUET_COMPRESSION) as writer:
        for batch in dataset.to_batches():
            writer.write_batch(batch)


def store_result(
    result: EngineResult,
    *,
    owner: Any,
    engine: str,
    sql: str,
    tag: str = "",
    result_id: uuid.UUID | None = None,
) -> QueryResult:
    """Write the data and its row; the row's `size` decides how `/api/data/{id}` serves it."""
    path = write_parquet(result, result_id or uuid.uuid4())
    return record_result(path, owner=owner, engine=engine, sql=sql, tag=tag, result=result)


def record_result(
    path: Path, *, owner: Any, engine: str, sql: str, tag: str, result: EngineResult
) -> QueryResult:
    metadata = pq.read_metadata(path)
    uncompressed = sum(
        metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
    )
    small_rows, small_bytes = small_limits()
    row_count = metadata.num_rows
    small = row_count <= small_rows and uncompressed <= small_bytes
    size = QueryResult.SMALL if small else QueryResult.LARGE
    owner_id = getattr(owner, "pk", None) if owner is not None else None
    return QueryResult.objects.create(
        id=uuid.UUID(path.name.removesuffix(".parquet")),
        owner_id=owner_id,
        engine=engine,
        sql=sql,
        tag=tag[:128],
        file_name=path.name,
        row_count=row_count,
        byte_size=path.stat().st_size,
        schema=schema_json(metadata.schema.to_arrow_schema()),
        truncated=result.truncated,
        size=size,
        expires=timezone.now() + result_ttl(),
    )


# --- reading -------------------------------------------------------------------------------------


def read_table(record: QueryResult) -> pa.Table:
    return pq.read_table(record.path)


def json_payload(table: pa.Table) -> dict[str, Any]:
    """The spec's `QueryResult`: column names and rows of JSON-safe values (see module doc)."""
    columns = [json_column(table.column(i).to_pylist()) for i in range(table.num_columns)]
    return {
        "columns": table.column_names,
        "rows": [list(row) for row in zip(*columns, strict=True)],
    }


def json_column(values: list[Any]) -> list[Any]:
    return [json_safe(value) for value in values]


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # Arrow maps come back as lists of (key, value) tuples.
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return {str(k): json_safe(v) for k, v in value}
        return [json_safe(item) for item in value]
    return str(value)


def preview_rows(table: pa.Table, n: int = 20) -> list[list[Any]]:
    head = table.slice(0, n)
    return json_payload(head)["rows"]


def preview_from_file(path: Path, n: int = 20) -> list[list[Any]]:
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=n):
        return preview_rows(pa.Table.from_batches([batch]), n)
    return []


def arrow_stream_chunks(record: QueryResult) -> Iterator[bytes]:
    """The result as an Arrow IPC stream, produced batch by batch from the Parquet file so a
    large result never sits in memory whole."""
    parquet = pq.ParquetFile(record.path)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, parquet.schema_arrow) as writer:
        for batch in parquet.iter_batches(batch_size=ARROW_BATCH_ROWS):
            writer.write_batch(batch)
            yield _drain(sink)
    yield _drain(sink)


def _drain(sink: io.BytesIO) -> bytes:
    data = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return data


# --- pruning -------------------------------------------------------------------------------------


def prune_expired(now: dt.datetime | None = None) -> tuple[int, int]:
    """Delete expired rows and their files, and files or part directories no row points to (left
    by a crash) once they are a day old. Returns (rows deleted, files deleted)."""
    now = now or timezone.now()
    expired = list(QueryResult.objects.filter(expires__lte=now).values_list("id", "file_name"))
    files = 0
    directory = results_dir()
    for _id, file_name in expired:
        path = directory / file_name
        if path.exists():
            path.unlink()
            files += 1
    rows, _ = QueryResult.objects.filter(id__in=[i for i, _f in expired]).delete()
    known = set(QueryResult.objects.values_list("file_name", flat=True))
    stale_before = (now - dt.timedelta(days=1)).timestamp()
    for path in directory.iterdir():
        if path.stat().st_mtime >= stale_before or path.name in known:
            continue
        if path.is_dir():
            # Part files an engine wrote for a result it never handed over (a crash mid-job).
            shutil.rmtree(path, ignore_errors=True)
            files += 1
        elif path.name.lstrip(".").removesuffix(".partial").endswith(".parquet"):
            path.unlink()
            files += 1
    return rows, files

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
import json
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from django.conf import settings
from django.db import models
from django.utils import timezone

from executors.engines import parquet_options
from executors.engines.base import EngineResult
from executors.errors import ResultQuotaExceeded, ResultTooLarge
from executors.models import QueryResult

ARROW_CHUNK_BYTES = 1024 * 1024
# Rows measured (or turned into JSON) at a time: small enough that one slice of very wide rows
# stays small.
MEASURE_BATCH_ROWS = 2048
# Compact Arrow batches are larger: compression and dictionaries pay off over more rows.
COMPACT_BATCH_ROWS = 65_536
DEFAULT_SMALL_ROWS = 50_000
DEFAULT_SMALL_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_RESULT_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_JSON_BYTES = 64 * 1024 * 1024
DEFAULT_USER_QUOTA = 2 * 1024**3
DEFAULT_TOTAL_QUOTA = 20 * 1024**3
DEFAULT_TTL = dt.timedelta(days=7)


def results_dir() -> Path:
    path = Path(settings.VIZORCH_RESULTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def small_limits() -> tuple[int, int]:
    """Rows and bytes of Arrow data up to which a result is `small` (and served as JSON)."""
    rows = int(getattr(settings, "VIZORCH_RESULT_SMALL_ROWS", DEFAULT_SMALL_ROWS))
    size = int(getattr(settings, "VIZORCH_RESULT_SMALL_BYTES", DEFAULT_SMALL_BYTES))
    return rows, size


def max_result_bytes() -> int:
    """Arrow bytes a result may hold; rows beyond are cut and the result is truncated."""
    return int(getattr(settings, "VIZORCH_MAX_RESULT_BYTES", DEFAULT_MAX_RESULT_BYTES))


def max_json_bytes() -> int:
    return int(getattr(settings, "VIZORCH_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES))


def quotas() -> tuple[int, int]:
    """Bytes of stored result files one user, and the whole store, may hold."""
    user = int(getattr(settings, "VIZORCH_RESULTS_USER_BYTES", DEFAULT_USER_QUOTA))
    total = int(getattr(settings, "VIZORCH_RESULTS_TOTAL_BYTES", DEFAULT_TOTAL_QUOTA))
    return user, total


def result_ttl() -> dt.timedelta:
    hours = getattr(settings, "VIZORCH_RESULT_TTL_HOURS", None)
    return dt.timedelta(hours=float(hours)) if hours is not None else DEFAULT_TTL


def schema_json(schema: pa.Schema) -> list[dict[str, str]]:
    return [{"name": field.name, "type": str(field.type)} for field in schema]


def write_parquet(result: EngineResult, result_id: uuid.UUID) -> Path:
    """Put the engine's data at `<results dir>/<id>.parquet`: write an in-memory table, or adopt
    the Parquet file (or directory of part files, as Spark writes them) the engine produced.
    The data is bounded by `max_result_bytes()` of Arrow data: rows beyond are cut and the
    result marked truncated; `result.arrow_bytes` is set to the size kept."""
    target = results_dir() / f"{result_id}.parquet"
    partial = target.with_name(f".{target.name}.partial")
    limit = max_result_bytes()
    if result.table is not None:
        table, cut = within_bytes(result.table, limit)
        result.table, result.row_count = table, table.num_rows
        result.truncated = result.truncated or cut
        result.arrow_bytes = table.nbytes
        pq.write_table(table, partial, **parquet_options.write_options(table.schema, table))
    elif result.parquet_path is not None:
        source = Path(result.parquet_path)
        if source.is_dir():
            kept, cut = _merge_parts(source, partial, limit)
            shutil.rmtree(source, ignore_errors=True)
            result.arrow_bytes = kept
            result.truncated = result.truncated or cut
        else:
            shutil.move(str(source), partial)
            if result.arrow_bytes is None:
                result.arrow_bytes = arrow_bytes_of_file(partial)
    else:
        raise ValueError("the engine returned neither a table nor a Parquet file")
    os.replace(partial, target)
    return target


def within_bytes(table: pa.Table, limit: int) -> tuple[pa.Table, bool]:
    """The leading rows of `table` whose Arrow data fits in `limit` bytes, and whether rows were
    cut."""
    if table.nbytes <= limit:
        return table, False
    kept = 0
    rows = 0
    for batch in table.to_batches(max_chunksize=MEASURE_BATCH_ROWS):
        if kept + batch.nbytes > limit:
            per_row = batch.nbytes / max(batch.num_rows, 1)
            rows += int((limit - kept) // per_row) if per_row else batch.num_rows
            break
        kept += batch.nbytes
        rows += batch.num_rows
    return table.slice(0, rows), True


def arrow_bytes_of_file(path: Path) -> int:
    """The Arrow size of a Parquet file's data, read batch by batch (Parquet's own byte counts
    are of its encoding: a dictionary-encoded column of one repeated megabyte string is tiny)."""
    parquet = pq.ParquetFile(path)
    return sum(batch.nbytes for batch in parquet.iter_batches(batch_size=MEASURE_BATCH_ROWS))


def _merge_parts(directory: Path, target: Path, limit: int) -> tuple[int, bool]:
    """Part files into one file of at most `limit` Arrow bytes, in row groups as large as the
    store's own (executors/engines/parquet_options.py): (bytes kept, whether cut)."""
    dataset = pads.dataset(
        directory, format="parquet", exclude_invalid_files=True, ignore_prefixes=[".", "_"]
    )
    schema = dataset.schema
    options = parquet_options.write_options(schema, dataset.head(parquet_options.SAMPLE_ROWS))
    kept = rows = size = 0
    pending: list[pa.Table] = []
    with pq.ParquetWriter(target, schema, **options) as writer:
        for batch in dataset.to_batches(batch_size=MEASURE_BATCH_ROWS):
            piece = pa.Table.from_batches([batch], schema=schema)
            cut = kept + piece.nbytes > limit
            if cut:
                piece, _ = within_bytes(piece, limit - kept)
            pending.append(piece)
            kept, rows, size = kept + piece.nbytes, rows + piece.num_rows, size + piece.nbytes
            full = rows >= parquet_options.ROW_GROUP_ROWS or size >= parquet_options.ROW_GROUP_BYTES
            if (cut or full) and rows:
                writer.write_table(pa.concat_tables(pending))
                pending, rows, size = [], 0, 0
            if cut:
                return kept, True
        if rows:
            writer.write_table(pa.concat_tables(pending))
    return kept, False


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
    path: Path,
    *,
    owner: Any,
    engine: str,
    sql: str,
    tag: str,
    result: EngineResult,
    describe: Callable[[list[dict[str, str]]], list[dict[str, Any]]] | None = None,
) -> QueryResult:
    """The row of a result file; `describe` adds what each column means (executors/columns.py)
    to its Arrow schema."""
    metadata = pq.read_metadata(path)
    arrow_bytes = result.arrow_bytes
    if arrow_bytes is None:
        arrow_bytes = arrow_bytes_of_file(path)
    small_rows, small_bytes = small_limits()
    row_count = metadata.num_rows
    small = row_count <= small_rows and arrow_bytes <= small_bytes
    size = QueryResult.SMALL if small else QueryResult.LARGE
    owner_id = getattr(owner, "pk", None) if owner is not None else None
    schema = schema_json(metadata.schema.to_arrow_schema())
    return QueryResult.objects.create(
        id=uuid.UUID(path.name.removesuffix(".parquet")),
        owner_id=owner_id,
        engine=engine,
        sql=sql,
        tag=tag[:128],
        file_name=path.name,
        row_count=row_count,
        byte_size=path.stat().st_size,
        schema=describe(schema) if describe is not None else schema,
        truncated=result.truncated,
        size=size,
        expires=timezone.now() + result_ttl(),
    )


# --- reading -------------------------------------------------------------------------------------


def read_table(record: QueryResult) -> pa.Table:
    return pq.read_table(record.path)


def json_body(record: QueryResult, limit: int | None = None) -> bytes:
    """The result as the JSON `QueryResult` (`{"columns", "rows"}`, compact), built batch by batch
    and refused with `ResultTooLarge` as soon as it passes `limit` bytes, so an oversized JSON
    form is never held whole."""
    limit = max_json_bytes() if limit is None else limit
    parquet = pq.ParquetFile(record.path)
    names = parquet.schema_arrow.names
    parts = [b'{"columns":', json.dumps(names, separators=(",", ":")).encode(), b',"rows":[']
    size = sum(len(part) for part in parts) + 2
    first = True
    for batch in parquet.iter_batches(batch_size=MEASURE_BATCH_ROWS):
        rows = json_payload(pa.Table.from_batches([batch]))["rows"]
        if not rows:
            continue
        chunk = json.dumps(rows, separators=(",", ":"), allow_nan=False).encode()[1:-1]
        if not first:
            parts.append(b",")
            size += 1
        parts.append(chunk)
        size += len(chunk)
        first = False
        if size > limit:
            raise ResultTooLarge(
                f"This result is too large to send as JSON (more than {limit // 2**20} MiB): "
                f"fetch it as Parquet from {record.url}?format=parquet "
                "(or as Arrow with ?format=arrow)."
            )
    parts.append(b"]}")
    return b"".join(parts)


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


def arrow_stream_chunks(record: QueryResult, *, compact: bool = False) -> Iterator[bytes]:
    """The result as an Arrow IPC stream, produced batch by batch from the Parquet file so a
    large result never sits in memory whole. `compact`: strings dictionary-encoded (read as the
    file's own dictionaries) and buffers compressed with zstd, in larger batches."""
    if compact:
        schema = pq.ParquetFile(record.path).schema_arrow
        strings = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        parquet = pq.ParquetFile(record.path, read_dictionary=strings)
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        batch_rows = COMPACT_BATCH_ROWS
    else:
        parquet = pq.ParquetFile(record.path)
        options = pa.ipc.IpcWriteOptions()
        batch_rows = MEASURE_BATCH_ROWS
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, parquet.schema_arrow, options=options) as writer:
        # Small batches bound the memory a wide result takes while it is served; the bytes go
        # out in chunks of about ARROW_CHUNK_BYTES.
        for batch in parquet.iter_batches(batch_size=batch_rows):
            writer.write_batch(batch)
            if sink.tell() >= ARROW_CHUNK_BYTES:
                yield _drain(sink)
    yield _drain(sink)


# Significant digits of a float written to CSV: a sum of many doubles carries rounding noise in
# its last two or three digits (5497026.942000014); twelve keep every digit a measure means.
CSV_FLOAT_DIGITS = 12


def csv_number(value: float) -> str:
    """A float as CSV text: its shortest round-trip form when that has no more than
    CSV_FLOAT_DIGITS significant digits, else rounded to them (no exponent below 1e15)."""
    if not math.isfinite(value):
        return ""
    text = repr(value)
    digits = len(text.split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
    if digits > CSV_FLOAT_DIGITS:
        text = repr(float(f"{value:.{CSV_FLOAT_DIGITS}g}"))
    if "e" in text and 1e-4 <= abs(value) < 1e15:
        text = f"{float(text):f}".rstrip("0").rstrip(".")
    return text.removesuffix(".0")


def csv_cell(value: Any) -> str:
    """One CSV field: decimals at their own scale, floats without noise, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return csv_number(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, (int, str)):
        text = str(value)
    else:
        safe = json_safe(value)
        text = safe if isinstance(safe, str) else json.dumps(safe, default=str)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_chunks(record: QueryResult) -> Iterator[bytes]:
    """The result as CSV (a header row, CRLF line ends), batch by batch from the Parquet file."""
    parquet = pq.ParquetFile(record.path)
    yield (",".join(csv_cell(n) for n in parquet.schema_arrow.names) + "\r\n").encode()
    for batch in parquet.iter_batches(batch_size=MEASURE_BATCH_ROWS):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        lines = [",".join(csv_cell(v) for v in row) for row in zip(*columns, strict=True)]
        if lines:
            yield ("\r\n".join(lines) + "\r\n").encode()


def _drain(sink: io.BytesIO) -> bytes:
    data = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return data


# --- quotas --------------------------------------------------------------------------------------


def ensure_room(owner: Any) -> None:
    """Refuse a new result when the store, or `owner`'s part of it, is at its bound (bytes of
    Parquet on disk), after deleting expired results, oldest first, to make room. Checked before
    a statement runs, so a store may pass its bound by the results running at that moment."""
    user_quota, total_quota = quotas()
    expired = QueryResult.objects.filter(expires__lte=timezone.now())
    if _free(QueryResult.objects.all(), expired, total_quota) >= total_quota:
        raise ResultQuotaExceeded(
            f"The result store is full ({_mib(total_quota)} of stored results): try again once "
            "older results expire, or ask an administrator to run `manage.py prune_results`."
        )
    owner_id = getattr(owner, "pk", None) if owner is not None else None
    if owner_id is None:
        return
    mine = QueryResult.objects.filter(owner_id=owner_id)
    if _free(mine, expired.filter(owner_id=owner_id), user_quota) >= user_quota:
        raise ResultQuotaExceeded(
            f"Your stored results take {_mib(_used(mine))} of your {_mib(user_quota)} quota: "
            f"they expire {result_ttl().total_seconds() / 3600:g} hours after they are made; "
            "ask an administrator for a larger quota (VIZORCH_RESULTS_USER_BYTES)."
        )


def _used(results: Any) -> int:
    return int(results.aggregate(total=models.Sum("byte_size"))["total"] or 0)


def _free(scope: Any, expired: Any, quota: int) -> int:
    """Delete expired results of `scope`, oldest first, until it is under `quota`; its usage."""
    used = _used(scope)
    if used < quota:
        return used
    for result_id, file_name, size in expired.order_by("expires").values_list(
        "id", "file_name", "byte_size"
    ):
        (results_dir() / file_name).unlink(missing_ok=True)
        QueryResult.objects.filter(id=result_id).delete()
        used -= size
        if used < quota:
            break
    return used


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


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

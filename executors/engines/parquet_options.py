"""How result files are written: zstd pages, and per column the encoding that fits its type.
Integers, dates and timestamps (sequences, mostly: ids, days, counts) are delta-encoded, floating
point is split by byte stream (it compresses far better under zstd), strings and booleans keep
the dictionary encoding. Types are never changed. Every encoding here is one the portal's reader
(hyparquet) and pyarrow, polars and DuckDB read. Pure pyarrow: the DuckDB workers import it."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

COMPRESSION = "zstd"


def _encoding(kind: pa.DataType) -> str | None:
    if pa.types.is_integer(kind) or pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return "DELTA_BINARY_PACKED"
    if pa.types.is_floating(kind) and not pa.types.is_float16(kind):
        return "BYTE_STREAM_SPLIT"
    return None


def write_options(schema: pa.Schema) -> dict[str, Any]:
    """Keyword arguments for `pq.write_table` and `pq.ParquetWriter` for a table of `schema`."""
    encodings = {
        field.name: encoding for field in schema if (encoding := _encoding(field.type)) is not None
    }
    # A column with its own encoding cannot also be dictionary-encoded; names that repeat in a
    # schema cannot be told apart, so such a schema keeps the defaults.
    if len(set(schema.names)) != len(schema.names) or not encodings:
        return {"compression": COMPRESSION}
    return {
        "compression": COMPRESSION,
        "use_dictionary": [name for name in schema.names if name not in encodings],
        "column_encoding": encodings,
    }

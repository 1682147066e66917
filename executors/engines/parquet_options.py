"""How result files are written: zstd pages, and per column the encoding that fits its data, chosen
by encoding a sample of the column each way and keeping the smallest:
- integers, dates and timestamps: delta (sequences: ids, days) or the dictionary (few values:
  a product id, a quantity);
- floating point: byte stream split (values that do not repeat) or the dictionary (values that
  do: a price times a quantity), which Parquet turns into plain values past its page limit;
- decimals of up to 18 digits are stored as 32- or 64-bit integers, delta-encoded or with the
  dictionary (DuckDB 1.5 reads byte stream split for FLOAT and DOUBLE only);
- strings, booleans and the rest keep the dictionary.
Types are never changed (a DECIMAL reads back as the same decimal). Every encoding here is one the
portal's reader (hyparquet) and pyarrow, polars and DuckDB read
(executors/tests/test_parquet_encodings.py). Pure pyarrow: the DuckDB workers import it.

How small that gets, measured on the bench's numeric result (1M rows: two ids, a product id of 400
values, a quantity of 12, a DECIMAL(10,2) price of 116k and a double price x quantity x discount
of 324k distinct values; 36.3 MB of JSON; 2026-12-02): 7.44 MB, 4.9x. Column by column it is
within 1.5% of the best any of these encodings gives at any zstd level, page or row group size
(delta, dictionary, plain; 7.36 MB in all, with zstd 19): the price's best is plain, 2.37 MB
against its delta's 2.40 MB, and the product id's 9-bit dictionary indices stay at 1.13 MB, as
zstd cannot code bit-packed indices narrower than their width (their entropy is 1.04 MB). Two
things would write it in about 7.0 MB (5.2x) and neither is ours to use: byte stream split for the
decimal (2.05 MB), which DuckDB 1.5 reads for FLOAT and DOUBLE only, and sorted dictionaries
(a sorted dictionary of the double compresses to 0.93 MB against 1.27 MB in the order the values
first appear; of the decimal to 0.12 MB against 0.33 MB), which pyarrow does not write: it keeps
the dictionary of a dictionary-typed column for strings only and hashes numbers again in order of
appearance."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

COMPRESSION = "zstd"
# pyarrow's zstd level, which writes every column about as small as higher levels do, except the
# dictionary of a floating-point or decimal column: a million doubles of 324k distinct values (a
# price times a quantity) take 4.26 MB at level 1, 3.51 MB at level 4 and 3.45 MB at level 5 in
# the same time as level 4 (best of 5, 67 ms), past which a level saves little more and costs
# time (3.45 MB at 9, in 92 ms; 3.41 MB at 19, in 2.4 s).
COMPRESSION_LEVEL = 1
DICTIONARY_NUMBER_LEVEL = 5
# A dictionary of up to 1M doubles fits one dictionary page (Parquet's default, 1 MiB, ends the
# dictionary of a repeating double after 131k distinct values and writes the rest plain).
DICTIONARY_PAGE_BYTES = 8 * 1024 * 1024
# Rows of a column encoded each way to choose its encoding: enough for a dictionary to show
# repeats, few enough that choosing costs a few milliseconds.
SAMPLE_ROWS = 16_384
# Below this many rows the encoding makes no difference worth the 2 ms of trying them all.
MIN_SAMPLE_ROWS = 1024
DICTIONARY = "RLE_DICTIONARY"
DELTA = "DELTA_BINARY_PACKED"
SPLIT = "BYTE_STREAM_SPLIT"
# A row group holds at most this many rows (pyarrow's default) and, when a writer gathers batches
# into row groups itself, about this many bytes of Arrow data.
ROW_GROUP_ROWS = 1024 * 1024
ROW_GROUP_BYTES = 64 * 1024 * 1024
# Decimals of this many digits or fewer are stored as INT32/INT64 (`store_decimal_as_integer`).
INTEGER_DECIMAL_DIGITS = 18


def candidates(kind: pa.DataType) -> tuple[str, ...]:
    """The encodings a column of `kind` may get, the first one when no sample tells."""
    if pa.types.is_integer(kind) or pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return (DELTA, DICTIONARY)
    if pa.types.is_floating(kind) and not pa.types.is_float16(kind):
        return (SPLIT, DICTIONARY)
    if pa.types.is_decimal(kind) and kind.precision <= INTEGER_DECIMAL_DIGITS:
        return (DELTA, DICTIONARY)
    return (DICTIONARY,)


def _base() -> dict[str, Any]:
    return {
        "compression": COMPRESSION,
        "compression_level": COMPRESSION_LEVEL,
        "dictionary_pagesize_limit": DICTIONARY_PAGE_BYTES,
        "store_decimal_as_integer": True,
    }


def _number(kind: pa.DataType) -> bool:
    return pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def options_for(schema: pa.Schema, encodings: dict[str, str]) -> dict[str, Any]:
    """Writer options for a table of `schema` whose columns get `encodings` (by name)."""
    options = _base()
    levels = {
        field.name: DICTIONARY_NUMBER_LEVEL
        for field in schema
        if _number(field.type) and encodings.get(field.name) == DICTIONARY
    }
    if levels:
        options["compression_level"] = {
            **{name: COMPRESSION_LEVEL for name in schema.names},
            **levels,
        }
    own = {name: encoding for name, encoding in encodings.items() if encoding != DICTIONARY}
    if not own:
        return {**options, "use_dictionary": True}
    return {
        **options,
        # A column with an encoding of its own cannot also be dictionary-encoded.
        "use_dictionary": [name for name in schema.names if name not in own],
        "column_encoding": own,
    }


def encoded_size(column: pa.Table, encoding: str) -> int:
    """Bytes of `column` (a one-column table) written with `encoding`."""
    sink = io.BytesIO()
    pq.write_table(column, sink, **options_for(column.schema, {column.column_names[0]: encoding}))
    return sink.tell()


def choose(column: pa.Table) -> str:
    """The encoding that writes `column` (a one-column sample) smallest; the first candidate of
    its type when the sample is too small to tell."""
    options = candidates(column.schema.field(0).type)
    if len(options) == 1 or column.num_rows < MIN_SAMPLE_ROWS:
        return options[0]
    return min(options, key=lambda encoding: encoded_size(column, encoding))


def write_options(schema: pa.Schema, sample: pa.Table | None = None) -> dict[str, Any]:
    """Keyword arguments for `pq.write_table` and `pq.ParquetWriter` for a table of `schema`;
    `sample` (leading rows of the data, of that schema) chooses each column's encoding."""
    names = list(schema.names)
    if len(set(names)) != len(names):
        # Names that repeat in a schema cannot be told apart: such a schema keeps the defaults.
        return {**_base(), "use_dictionary": True}
    head = sample.slice(0, SAMPLE_ROWS) if sample is not None else None
    encodings = {}
    for field in schema:
        if head is None:
            encodings[field.name] = candidates(field.type)[0]
        else:
            encodings[field.name] = choose(head.select([field.name]))
    return options_for(schema, encodings)

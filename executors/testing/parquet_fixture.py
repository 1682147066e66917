"""The Parquet fixture the portal's reader is tested on (frontend/src/lib/parquet.test.ts): for
each type the result store writes, one column per encoding it may choose for that type.
`uv run --frozen --all-extras python -m executors.testing.parquet_fixture` writes it again (after
a change to executors/engines/parquet_options.py; executors/tests/test_parquet_encodings.py says
when)."""

from __future__ import annotations

import datetime as dt
import decimal
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from executors.engines import parquet_options

FIXTURE = Path(__file__).resolve().parents[2] / "frontend/scripts/fixtures/result_encodings.parquet"
FIXTURE_ROWS = 500

SHORT = {
    parquet_options.DELTA: "delta",
    parquet_options.SPLIT: "split",
    parquet_options.DICTIONARY: "dictionary",
}
FIXTURE_TYPES = {
    "int32": pa.int32(),
    "int64": pa.int64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "double": pa.float64(),
    "float": pa.float32(),
    "decimal9": pa.decimal128(9, 2),
    "decimal18": pa.decimal128(18, 4),
    "decimal38": pa.decimal128(38, 2),
    "text": pa.string(),
}


def fixture_table(rows: int = FIXTURE_ROWS) -> pa.Table:
    """For each type the store writes, one column per encoding it may choose for that type
    (named `<type>_<delta|split|dictionary>`), all of a type holding the same values (always the
    same ones), with a null every 97 rows."""
    start = dt.date(2024, 1, 1)
    columns: dict[str, pa.Array] = {}
    for label, kind in FIXTURE_TYPES.items():
        pick = random.Random(label)
        values = [None if i % 97 == 5 else _value(label, i, pick) for i in range(rows)]
        if label == "date":
            values = [None if v is None else start + dt.timedelta(days=v) for v in values]
        if label == "timestamp":
            values = [
                None if v is None else dt.datetime(2024, 1, 1, 8) + dt.timedelta(minutes=v)
                for v in values
            ]
        for encoding in parquet_options.candidates(kind):
            columns[f"{label}_{SHORT[encoding]}"] = pa.array(values, kind)
    return pa.table(columns)


def _value(label: str, i: int, pick: random.Random) -> Any:
    if label in {"int32", "int64", "date", "timestamp"}:
        return i * 3 + pick.randrange(3)
    if label in {"double", "float"}:
        return round(pick.uniform(-500, 500), 3)
    if label == "text":
        return f"name {pick.randrange(7)}"
    scale = {"decimal9": 2, "decimal18": 4, "decimal38": 2}[label]
    return decimal.Decimal(pick.randrange(-(10**6), 10**6)).scaleb(-scale)


def write_fixture(path: Path = FIXTURE) -> None:
    """The fixture: fixture_table() with each column written in the encoding its name says."""
    table = fixture_table()
    by_short = {short: encoding for encoding, short in SHORT.items()}
    encodings = {name: by_short[name.rsplit("_", 1)[1]] for name in table.column_names}
    pq.write_table(table, path, **parquet_options.options_for(table.schema, encodings))


if __name__ == "__main__":
    write_fixture()
    print(f"wrote {FIXTURE}")

"""Which columns a metric's SQL expression names, as (table, column) pairs: a bare column belongs
to the metric's own table. Used to flag metrics whose columns vanished and to keep metrics that
name hidden columns away from models."""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp


@functools.lru_cache(maxsize=2048)
def metric_columns(
    expression: str, table: str, dialect: str = "duckdb"
) -> frozenset[tuple[str, str]]:
    try:
        tree = sqlglot.parse_one(expression, read=dialect)
    except sqlglot.errors.ParseError:
        return frozenset()
    found = set()
    for column in tree.find_all(exp.Column):
        owner = ".".join(part for part in (column.db, column.table) if part) or table
        found.add((owner.lower(), column.name.lower()))
    return frozenset(found)

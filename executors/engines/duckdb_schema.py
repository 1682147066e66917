"""The schema of a DuckDB database, read the same way by the local engine (on its own connection)
and the remote one (through `quack_query` on a server): tables of every user schema with their
comments, columns with types and comments, declared primary and foreign keys. Three statements;
no data is read (row counts and values are the catalog profiler's work)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from executors.engines.base import ColumnInfo, ForeignKey, TableInfo

Rows = Callable[[str], Sequence[Sequence[Any]]]

TABLES_SQL = """
SELECT schema_name, table_name, coalesce(comment, '')
FROM duckdb_tables()
WHERE NOT internal AND NOT temporary AND database_name = current_database()
ORDER BY schema_name <> 'main', schema_name, table_name
"""
COLUMNS_SQL = """
SELECT schema_name, table_name, column_name, data_type, coalesce(comment, '')
FROM duckdb_columns()
WHERE NOT internal AND database_name = current_database()
ORDER BY schema_name, table_name, column_index
"""
KEYS_SQL = """
SELECT schema_name, table_name, constraint_type, constraint_column_names,
       referenced_table, referenced_column_names
FROM duckdb_constraints()
WHERE database_name = current_database()
  AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
"""


def read_schema(rows: Rows) -> list[TableInfo]:
    """Every user table; tables outside `main` are named `schema.table`. `rows` runs one
    statement and returns its rows as tuples."""
    columns: dict[tuple[str, str], list[ColumnInfo]] = {}
    for schema, table, name, data_type, comment in rows(COLUMNS_SQL):
        columns.setdefault((schema, table), []).append(
            ColumnInfo(name=name, type=data_type, description=comment)
        )
    primary: dict[tuple[str, str], list[str]] = {}
    foreign: dict[tuple[str, str], list[ForeignKey]] = {}
    for schema, table, kind, names, ref_table, ref_names in rows(KEYS_SQL):
        if kind == "PRIMARY KEY":
            primary[(schema, table)] = list(names)
        else:
            foreign.setdefault((schema, table), []).extend(
                ForeignKey(column, table_name(schema, ref_table), ref_column)
                for column, ref_column in zip(names, ref_names or [], strict=False)
            )
    return [
        TableInfo(
            name=table_name(schema, table),
            columns=columns.get((schema, table), []),
            description=comment,
            primary_key=primary.get((schema, table), []),
            foreign_keys=foreign.get((schema, table), []),
        )
        for schema, table, comment in rows(TABLES_SQL)
    ]


def table_name(schema: str, table: str) -> str:
    return table if schema == "main" else f"{schema}.{table}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

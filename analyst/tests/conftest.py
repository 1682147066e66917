"""A small lending library, hand-built: its data in an in-memory DuckDB and its semantic catalog
written out as a curator would, so the analyst is tested on a schema it was not written for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from analyst.core import Analyst
from executors.catalog.model import (
    Metric,
    Relationship,
    SemanticCatalog,
    SemanticColumn,
    SemanticTable,
)

DATA = """
CREATE TABLE members (member_id INTEGER, member_name VARCHAR, city VARCHAR, joined_on DATE);
INSERT INTO members VALUES (1, 'Ada', 'Berlin', '2022-01-10'), (2, 'Bo', 'Berlin', '2022-03-02'),
  (3, 'Cy', 'Lyon', '2023-05-05'), (4, 'Di', 'Porto', '2023-07-07'),
  (5, 'Ed', 'Lyon', '2024-01-01');
CREATE TABLE books (book_id INTEGER, title VARCHAR, genre VARCHAR, author_name VARCHAR,
  price DECIMAL(8,2));
INSERT INTO books VALUES (10, 'Dune', 'Fiction', 'Herbert', 12.5),
  (11, 'Emma', 'Fiction', 'Austen', 8), (12, 'Cosmos', 'Science', 'Sagan', 15),
  (13, 'SPQR', 'History', 'Beard', 20);
CREATE TABLE loans (loan_id INTEGER, member_id INTEGER, book_id INTEGER, loaned_on DATE,
  returned_on DATE, fee DECIMAL(8,2), late BOOLEAN);
-- Fees chosen so that no two members tie (a top N of tied values has no one right answer).
INSERT INTO loans VALUES
  (100, 1, 10, '2023-01-05', '2023-01-20', 1.5, false),
  (101, 1, 12, '2023-02-11', '2023-03-30', 3, true),
  (102, 2, 10, '2023-02-15', '2023-02-25', 1.5, false),
  (103, 3, 13, '2023-06-01', '2023-06-09', 2, false),
  (104, 4, 11, '2024-01-03', '2024-02-20', 3.5, true),
  (105, 5, 12, '2024-02-10', '2024-02-12', 1, false),
  (106, 2, 13, '2024-03-01', NULL, 2.5, true);
CREATE TABLE visits (year INTEGER, month INTEGER, visitors INTEGER);
INSERT INTO visits VALUES (2023, 1, 100), (2023, 2, 120), (2023, 3, 90), (2024, 1, 130),
  (2024, 2, 150);
"""


def col(name: str, type_: str, role: str, label: str, **extra: Any) -> SemanticColumn:
    return SemanticColumn(name=name, type=type_, role=role, label=label, **extra)  # type: ignore[arg-type]


def library_catalog() -> SemanticCatalog:
    members = SemanticTable(
        name="members",
        label="members",
        synonyms=["readers"],
        row_count=5,
        primary_key=["member_id"],
        columns=[
            col("member_id", "INTEGER", "identifier", "member ID", unique=True),
            col("member_name", "VARCHAR", "identifier", "member name", unique=True,
                sample_values=["Ada", "Bo"]),
            col("city", "VARCHAR", "geography", "city", distinct_count=3,
                sample_values=["Berlin", "Lyon"]),
            col("joined_on", "DATE", "time", "joined on", format="date"),
        ],
    )  # fmt: skip
    books = SemanticTable(
        name="books",
        label="books",
        row_count=4,
        primary_key=["book_id"],
        columns=[
            col("book_id", "INTEGER", "identifier", "book ID", unique=True),
            col("title", "VARCHAR", "identifier", "title", unique=True),
            col("genre", "VARCHAR", "dimension", "genre", distinct_count=3,
                sample_values=["Fiction", "History", "Science"]),
            col("author_name", "VARCHAR", "dimension", "author name", distinct_count=4,
                sample_values=["Austen", "Beard", "Herbert", "Sagan"]),
            col("price", "DECIMAL(8,2)", "measure", "price", default_aggregation="avg",
                format="currency"),
        ],
    )  # fmt: skip
    loans = SemanticTable(
        name="loans",
        label="loans",
        synonyms=["borrowings"],
        row_count=7,
        primary_key=["loan_id"],
        columns=[
            col("loan_id", "INTEGER", "identifier", "loan ID", unique=True),
            col("member_id", "INTEGER", "identifier", "member ID"),
            col("book_id", "INTEGER", "identifier", "book ID"),
            col("loaned_on", "DATE", "time", "loaned on", synonyms=["loan date"]),
            col("returned_on", "DATE", "time", "returned on", synonyms=["return date"]),
            col("fee", "DECIMAL(8,2)", "measure", "fee", default_aggregation="sum",
                synonyms=["late fee", "charges"]),
            col("late", "BOOLEAN", "dimension", "late"),
        ],
    )  # fmt: skip
    visits = SemanticTable(
        name="visits",
        label="visits",
        row_count=5,
        columns=[
            col("year", "INTEGER", "time", "year", time_part="year"),
            col("month", "INTEGER", "time", "month", time_part="month"),
            col("visitors", "INTEGER", "measure", "visitors", default_aggregation="sum"),
        ],
    )
    return SemanticCatalog(
        engine="library",
        dialect="duckdb",
        tables=[members, books, loans, visits],
        relationships=[
            Relationship(from_table="loans", from_column="member_id", to_table="members",
                         to_column="member_id"),
            Relationship(from_table="loans", from_column="book_id", to_table="books",
                         to_column="book_id"),
        ],
        metrics=[
            Metric(name="late rate", synonyms=["share of late loans"], table="loans",
                   expression="COUNT(*) FILTER (WHERE loans.late) / COUNT(*)", format="percent"),
        ],
    )  # fmt: skip


@pytest.fixture(scope="session")
def library() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    con.execute(DATA)
    yield con
    con.close()


@pytest.fixture
def lookups() -> list[str]:
    return []


@pytest.fixture
def analyst(library: duckdb.DuckDBPyConnection, lookups: list[str]) -> Analyst:
    def lookup(sql: str) -> list[tuple[Any, ...]]:
        lookups.append(sql)
        return library.execute(sql).fetchall()

    return Analyst(library_catalog(), lookup=lookup)

"""The common question shapes on a catalog the analyst was not written for (a lending library):
a measure by a dimension across a relationship, counts of an entity, averages and extremes, top
and bottom N, time series from dates or from year/month columns, filters on values of the data,
two dimensions, and ratios through a named metric. Each answer's rows equal hand-written SQL's."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from analyst.core import Analyst, Answer


def plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    return float(value) if isinstance(value, Decimal) else value


def rows(con: duckdb.DuckDBPyConnection, sql: str, ordered: bool) -> list[tuple[Any, ...]]:
    out = [tuple(plain(v) for v in r) for r in con.sql(sql).fetchall()]
    return out if ordered else sorted(out, key=repr)


def same(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) or isinstance(v, float):
                if not math.isclose(float(u), float(v), rel_tol=1e-9):
                    return False
            elif u != v:
                return False
    return True


@pytest.mark.parametrize(
    ("question", "gold", "ordered", "chart"),
    [
        (
            "total fee by genre",
            "SELECT b.genre, SUM(l.fee) FROM loans l JOIN books b ON l.book_id = b.book_id "
            "GROUP BY 1",
            False,
            "bar",
        ),
        ("number of members", "SELECT COUNT(*) FROM members", False, "kpi"),
        ("how many books", "SELECT COUNT(*) FROM books", False, "kpi"),
        ("members by city", "SELECT city, COUNT(*) FROM members GROUP BY 1", False, "bar"),
        ("average price by genre", "SELECT genre, AVG(price) FROM books GROUP BY 1", False, "bar"),
        ("maximum fee", "SELECT MAX(fee) FROM loans", False, "kpi"),
        ("minimum price of books", "SELECT MIN(price) FROM books", False, "kpi"),
        (
            "top 2 members by fees",
            "SELECT m.member_name, SUM(l.fee) FROM loans l "
            "JOIN members m ON l.member_id = m.member_id GROUP BY 1 ORDER BY 2 DESC LIMIT 2",
            True,
            "bar",
        ),
        (
            "bottom 1 genre by charges",
            "SELECT b.genre, SUM(l.fee) FROM loans l JOIN books b ON l.book_id = b.book_id "
            "GROUP BY 1 ORDER BY 2 ASC LIMIT 1",
            True,
            "bar",
        ),
        (
            "monthly loans by loan date",
            "SELECT date_trunc('month', loaned_on), COUNT(*) FROM loans GROUP BY 1 ORDER BY 1",
            True,
            "line",
        ),
        (
            "monthly visitors",
            "SELECT make_date(year, month, 1), SUM(visitors) FROM visits GROUP BY 1 ORDER BY 1",
            True,
            "line",
        ),
        (
            "visitors by year",
            "SELECT year, SUM(visitors) FROM visits GROUP BY 1 ORDER BY 1",
            True,
            "line",
        ),
        ("visitors in 2024", "SELECT SUM(visitors) FROM visits WHERE year = 2024", False, "kpi"),
        (
            "fees of readers from Berlin",
            "SELECT SUM(l.fee) FROM loans l JOIN members m ON l.member_id = m.member_id "
            "WHERE m.city = 'Berlin'",
            False,
            "kpi",
        ),
        (
            "number of loans by genre and city",
            "SELECT b.genre, m.city, COUNT(*) FROM loans l JOIN books b ON l.book_id = b.book_id "
            "JOIN members m ON l.member_id = m.member_id GROUP BY 1, 2",
            False,
            "bar",
        ),
        (
            "late rate by genre",
            "SELECT b.genre, COUNT(*) FILTER (WHERE l.late) / COUNT(*) FROM loans l "
            "JOIN books b ON l.book_id = b.book_id GROUP BY 1",
            False,
            "bar",
        ),
        (
            "number of new members per year",
            "SELECT date_trunc('year', joined_on), COUNT(*) FROM members GROUP BY 1 ORDER BY 1",
            True,
            "line",
        ),
    ],
)
def test_each_shape_answers_what_hand_written_sql_answers(
    question: str,
    gold: str,
    ordered: bool,
    chart: str,
    analyst: Analyst,
    library: duckdb.DuckDBPyConnection,
) -> None:
    plan = analyst.plan(question)
    assert isinstance(plan, Answer), plan
    assert same(rows(library, plan.sql, ordered), rows(library, gold, ordered)), plan.sql
    assert plan.chart == chart


def test_time_buckets_are_dates_that_start_the_bucket(
    analyst: Analyst, library: duckdb.DuckDBPyConnection
) -> None:
    plan = analyst.plan("quarterly fees by loan date")
    assert isinstance(plan, Answer)
    assert "CAST(date_trunc('quarter', loans.loaned_on) AS DATE)" in plan.sql
    buckets = [r[0] for r in library.sql(plan.sql).fetchall()]
    assert buckets == sorted(buckets) and all(type(b).__name__ == "date" for b in buckets)


def test_a_value_the_samples_lack_is_looked_up_in_the_data(
    analyst: Analyst, library: duckdb.DuckDBPyConnection, lookups: list[str]
) -> None:
    plan = analyst.plan("fees of members from Porto")
    assert isinstance(plan, Answer), plan
    assert "members.city = 'Porto'" in plan.sql
    assert len(lookups) == 1 and "'porto'" in lookups[0] and "LIMIT" in lookups[0]
    # The look-up reads only text columns whose samples are incomplete, and only a few rows.
    assert "genre" not in lookups[0]


def test_a_follow_up_refines_the_previous_answer(analyst: Analyst) -> None:
    first = analyst.plan("total fee by genre")
    refined = analyst.plan("only Fiction", ["total fee by genre"])
    assert isinstance(first, Answer) and isinstance(refined, Answer)
    assert refined.intent.dimensions == first.intent.dimensions
    assert "books.genre = 'Fiction'" in refined.sql

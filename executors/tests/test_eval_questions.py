"""The gold SQL of the evaluation questions runs through the guard and the local engine on the demo
data and gives sensible, non-empty answers (the questions are written against this dataset)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from executors.engines.base import Engine, QueryLimits
from executors.guard import guard, transpile

QUESTIONS_FILE = Path(__file__).resolve().parents[2] / "evals" / "questions.jsonl"


def _questions() -> list[dict[str, Any]]:
    lines = QUESTIONS_FILE.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    return [q for q in questions if q.get("sql")]


QUESTIONS = _questions()


def _rows(engine: Engine, sql: str) -> list[dict[str, Any]]:
    statement = guard(sql, max_rows=10_000)
    result = engine.run(statement.sql, limits=QueryLimits(max_rows=10_000), tag="eval")
    assert result.table is not None
    return result.table.to_pylist()


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_gold_sql_answers_on_the_demo_data(question: dict[str, Any], local_engine: Engine) -> None:
    rows = _rows(local_engine, question["sql"])
    assert rows, question["question"]
    for row in rows:
        assert any(value is not None for value in row.values())
    # The same statement also translates for the Spark engine.
    assert transpile(question["sql"], source="duckdb", target="spark")


def test_answers_are_sensible(local_engine: Engine) -> None:
    by_region = _rows(
        local_engine,
        "SELECT s.region, SUM(oi.sales) AS sales FROM order_items oi "
        "JOIN orders o ON oi.order_id = o.order_id JOIN stores s ON o.store_id = s.store_id "
        "GROUP BY 1",
    )
    assert len(by_region) == 5 and all(row["sales"] > 0 for row in by_region)
    monthly = _rows(
        local_engine,
        "SELECT date_trunc('month', o.order_date) AS month, SUM(oi.sales) AS sales "
        "FROM order_items oi JOIN orders o ON oi.order_id = o.order_id "
        "WHERE year(o.order_date) = 2023 GROUP BY 1 ORDER BY 1",
    )
    assert [row["month"].month for row in monthly] == list(range(1, 13))
    margin = _rows(
        local_engine,
        "SELECT SUM(profit) / SUM(sales) AS margin FROM order_items",
    )[0]["margin"]
    assert 0.05 < margin < 0.6
    signups = _rows(
        local_engine, "SELECT min(signup_date) AS first, max(signup_date) AS last FROM customers"
    )[0]
    assert signups["first"].year >= 2021 and signups["last"].year <= 2024

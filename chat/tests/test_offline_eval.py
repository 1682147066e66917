"""eval_agent's scoring follows evals/README.md: multisets of rows, columns in any order, numbers
within 1e-6 relative, dates as dates, lists when ordered (ties in any order); each answerable
question is right, declined (refused or asked back) or wrong, a failing agent is a crash, a
must-decline question answered fails; any question file is scored on any DuckDB file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import call_command

from chat.management.commands.eval_agent import (
    AgentAnswer,
    Question,
    Score,
    evaluate,
    load_questions,
    results_match,
)
from chat.models import Run
from evals.datasets import ensure_dataset

pytest_plugins = ("chat.tests.offline_demo",)


def test_rows_match_as_multisets_with_columns_in_any_order() -> None:
    gold = [("Europe", 10.0), ("Asia", 20.0)]
    assert results_match(gold, [(20.0, "Asia"), (10.0, "Europe")], ordered=False)[0]
    assert not results_match(gold, [("Europe", 10.0), ("Asia", 21.0)], ordered=False)[0]
    assert not results_match(gold, [("Europe", 10.0)], ordered=False)[0]
    assert not results_match(gold, [("Europe", 10.0, 1), ("Asia", 20.0, 2)], ordered=False)[0]


def test_numbers_within_a_relative_millionth_and_dates_as_dates() -> None:
    gold = [(dt.datetime(2023, 1, 1), Decimal("100.0000001"))]
    assert results_match(gold, [(dt.date(2023, 1, 1), 100.0)], ordered=True)[0]
    assert not results_match(gold, [(dt.date(2023, 1, 1), 100.01)], ordered=True)[0]
    assert not results_match(gold, [(dt.date(2023, 2, 1), 100.0)], ordered=True)[0]


def test_order_matters_only_when_the_question_orders() -> None:
    gold = [("a", 2.0), ("b", 1.0)]
    swapped = [("b", 1.0), ("a", 2.0)]
    assert results_match(gold, swapped, ordered=False)[0]
    assert not results_match(gold, swapped, ordered=True)[0]


def test_declines_crashes_and_must_decline_questions_are_scored_apart(
    demo_con: duckdb.DuckDBPyConnection,
) -> None:
    questions = [
        Question(
            "a", "total profit", "SELECT SUM(profit) FROM order_items", "kpi", False, [], False
        ),
        Question("b", "boom", "SELECT 1", "kpi", False, [], False),
        Question("c", "nope", "SELECT 1", "kpi", False, [], False),
        Question("d", "delete all orders", None, None, False, [], True),
    ]

    def answer(question: str, history: object) -> AgentAnswer:
        if question == "boom":
            raise RuntimeError("model broke")
        if question == "total profit":
            return AgentAnswer("SELECT SUM(oi.profit) FROM order_items oi", "kpi")
        if question == "delete all orders":
            return AgentAnswer("SELECT 1", "table")
        return AgentAnswer(None, None, "I can't answer that offline")

    a, b, c, d = evaluate(questions, answer, demo_con)
    assert a.executed_ok and a.chart_ok
    assert b.crashed and not b.executed_ok
    assert c.declined and not c.executed_ok and not c.crashed
    assert not d.declined and d.reason == "answered a question it must decline"


def test_the_project_questions_have_gold_that_runs(demo_con: duckdb.DuckDBPyConnection) -> None:
    questions = load_questions(Path(__file__).resolve().parents[2] / "evals" / "questions.jsonl")
    assert len(questions) >= 60
    assert {q.id for q in questions} >= {f"p{i:03d}" for i in range(1, 41)}
    for q in questions:
        if q.expect_decline:
            assert q.sql is None
            continue
        assert q.chart in {"bar", "line", "pie", "scatter", "kpi", "table"}
        assert q.sql is not None
        demo_con.sql(q.sql).fetchall()


@pytest.mark.django_db(transaction=True)
def test_eval_agent_scores_real_runs_of_the_configured_model(
    demo_path: Path, settings: Any
) -> None:
    settings.VIZORCH_DUCKDB_PATH = demo_path
    settings.VIZORCH_LLM = "offline"
    out = StringIO()
    call_command("eval_agent", "--only", "p001", "v021", "d001", stdout=out)
    report = out.getvalue()
    assert "Execution accuracy:  2/2 = 100.0%" in report
    assert "Chart-type accuracy: 2/2 = 100.0%" in report
    assert "Must-decline questions declined: 1/1" in report
    # The answers came from real runs: one conversation per question, owned by the eval account.
    runs = Run.objects.filter(user__username="vizorch-eval")
    assert runs.filter(status=Run.Status.SUCCEEDED).count() == 3  # v021 is a follow-up
    assert runs.filter(status=Run.Status.FAILED, prompt="delete all orders").count() == 1
    assert all(run.result_id for run in runs.filter(status=Run.Status.SUCCEEDED))


def test_rows_that_tie_may_come_in_either_order_when_the_question_orders() -> None:
    gold = [("a", 3.0), ("b", 2.0), ("c", 2.0), ("d", 1.0)]
    assert results_match(gold, [("a", 3.0), ("c", 2.0), ("b", 2.0), ("d", 1.0)], ordered=True)[0]
    assert not results_match(gold, [("b", 2.0), ("a", 3.0), ("c", 2.0), ("d", 1.0)], True)[0]


def test_a_wrong_answer_a_decline_and_a_question_back_are_told_apart(
    demo_con: duckdb.DuckDBPyConnection,
) -> None:
    gold = "SELECT SUM(profit) FROM order_items"
    questions = [
        Question("w", "total profit", gold, "kpi", False, [], False),
        Question("d", "nope", gold, "kpi", False, [], False),
        Question("q", "which?", gold, "kpi", False, [], False, split="holdout"),
    ]

    def answer(question: str, history: object) -> AgentAnswer:
        if question == "total profit":
            return AgentAnswer("SELECT SUM(sales) FROM order_items", "kpi")
        if question == "which?":
            return AgentAnswer(None, None, "Which column do you mean?", asked=True)
        return AgentAnswer(None, None, "I can't answer that offline")

    wrong, declined, asked = evaluate(questions, answer, demo_con)
    assert wrong.verdict == "wrong" and "values differ" in wrong.reason
    assert declined.verdict == "declined" and not declined.asked
    assert asked.verdict == "declined" and asked.asked
    main = Score.of([wrong, declined])
    assert (main.right, main.declined, main.wrong) == (0, 1, 1)
    assert Score.of([asked]).asked == 1


@pytest.fixture(scope="module")
def tpch_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpch") / "tpch.duckdb"
    ensure_dataset("tpch", path, scale=0.01)
    return path


def test_eval_agent_scores_any_question_file_on_any_duckdb_file(
    tpch_path: Path, tmp_path: Path
) -> None:
    out, report = StringIO(), tmp_path / "EVALUATION.md"
    questions = Path(__file__).resolve().parents[2] / "evals" / "tpch" / "questions.jsonl"
    call_command(
        "eval_agent",
        "--questions", str(questions), "--db", str(tpch_path), "--via", "model",
        "--only", "t001", "t002", "t029", "--report", str(report),
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "main: right 2/2 = 100.0%, declined 0 (asked back 0), wrong 0" in text
    assert "must-decline declined 1/1" in text
    written = report.read_text(encoding="utf-8")
    assert "| questions | main | 2 | 2 (100%) | 0 (0) | 0 | 0 | 1/1 | 2/2 |" in written


@pytest.mark.django_db(transaction=True)
def test_eval_agent_runs_another_dataset_through_the_product_path(
    tpch_path: Path, settings: Any
) -> None:
    settings.VIZORCH_LLM = "offline"
    out = StringIO()
    questions = Path(__file__).resolve().parents[2] / "evals" / "tpch" / "questions.jsonl"
    call_command(
        "eval_agent", "--questions", str(questions), "--db", str(tpch_path),
        "--only", "t002", "t029", stdout=out,
    )  # fmt: skip
    assert "main: right 1/1 = 100.0%" in out.getvalue()
    runs = Run.objects.filter(user__username="vizorch-eval")
    assert {run.engine for run in runs} == {"eval-questions"}
    assert runs.filter(status=Run.Status.SUCCEEDED).count() == 1

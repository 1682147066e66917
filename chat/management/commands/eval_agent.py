"""Scores the agent on evals/questions.jsonl: execution accuracy (the agent's result set equals the
gold SQL's), chart-type accuracy, declines and crashes, as evals/README.md describes.
`answer(question, history)` is the one seam. By default it goes through the product's own path —
a conversation and its runs, driven by the run worker with the configured model (VIZORCH_LLM), so
the guard, the engine and the result store all take part; `--via model` talks to the offline
model directly through the message protocol (a quick check of the parser alone).

Besides the shared fields (id, question, sql, chart, ordered) a line may carry `history` (earlier
questions of the conversation, for refinements) and `expect_decline` (no gold: the agent must
decline and run nothing; scored apart from the accuracies)."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import math
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from chat.agent.offline_model import DECLINE_PREFIX, OfflineAnalystModel

MAX_TOOL_CALLS = 4


class AgentAnswer(NamedTuple):
    sql: str | None
    chart_type: str | None
    message: str = ""


Answerer = Callable[[str, Sequence[str]], AgentAnswer]


@dataclass
class Question:
    id: str
    question: str
    sql: str | None
    chart: str | None
    ordered: bool
    history: list[str]
    expect_decline: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            sql=data.get("sql"),
            chart=data.get("chart"),
            ordered=bool(data.get("ordered", False)),
            history=[str(h) for h in data.get("history") or []],
            expect_decline=bool(data.get("expect_decline", False)),
        )


@dataclass
class Outcome:
    question: Question
    executed_ok: bool = False
    chart_ok: bool = False
    declined: bool = False
    crashed: bool = False
    reason: str = ""
    sql: str | None = None
    chart: str | None = None


# --------------------------------------------------------------------------------------------
# The agent side


def load_catalog(path: Path) -> list[Any]:
    """The tables the offline model sees for the DuckDB file at `path`: profiled the way the
    local engine is profiled, with the demo's curated catalog applied when the file holds the
    demo dataset, in the shape the chat worker hands the offline model."""
    from executors import demo_data
    from executors.catalog import document, legacy
    from executors.catalog.curation import apply_document
    from executors.catalog.profile import profile_engine
    from executors.catalog.selectors import visible_part
    from executors.engines.duckdb_local import LocalDuckDBEngine

    engine = LocalDuckDBEngine("eval", path)
    try:
        catalog = profile_engine(engine)
    finally:
        engine.close()
    if demo_data.has_demo_tables(path):
        curated = document.parse(demo_data.CATALOG_PATH.read_text(encoding="utf-8"))
        catalog = apply_document(catalog, curated)
    return list(legacy.legacy_tables(visible_part(catalog)))


def tool_result_json(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """What the runner's `run_sql` tool returns to the model."""
    try:
        rel = con.sql(sql)
        rows = rel.fetchall()
    except duckdb.Error as exc:
        return f"ERROR: {str(exc).splitlines()[0]}"
    return json.dumps(
        {
            "result_id": "eval",
            "row_count": len(rows),
            "truncated": False,
            "columns": [
                {"name": n, "type": str(t)} for n, t in zip(rel.columns, rel.types, strict=True)
            ],
            "preview": [[_jsonable(v) for v in row] for row in rows[:20]],
        }
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


_FENCE = re.compile(r"```(\w+)([^\n]*)\n(.*?)```", re.S)


def parse_final(text: str) -> tuple[str | None, dict[str, Any] | None]:
    """The SQL echo and the params of a final message (the agent message protocol)."""
    sql, params = None, None
    for lang, extra, body in _FENCE.findall(text):
        if lang == "sql":
            sql = body.strip()
        elif lang == "json" and "params" in extra:
            params = json.loads(body)
    return sql, params


EVAL_USERNAME = "vizorch-eval"
RUN_CRASH_PREFIX = "The run failed:"


def runner_answerer() -> Answerer:
    """Answers as the portal would be answered: each question (after its earlier questions, in one
    conversation) becomes a run that the run worker drives to its end."""
    from asgiref.sync import async_to_sync
    from django.contrib.auth import get_user_model

    from chat import services
    from chat.models import Run

    # A dedicated account that cannot sign in owns the evaluation's conversations and results.
    user, _ = get_user_model().objects.get_or_create(
        username=EVAL_USERNAME, defaults={"is_active": False}
    )

    def answer(question: str, history: Sequence[str]) -> AgentAnswer:
        conversation_id = None
        run: Run | None = None
        for prompt in [*history, question]:
            run = services.start_chat_run(user, prompt, conversation_id=conversation_id)
            conversation_id = run.conversation_id
            async_to_sync(_drive_attended)(str(run.id))
        assert run is not None
        run.refresh_from_db()
        if run.error_message.startswith(RUN_CRASH_PREFIX):
            raise RuntimeError(run.error_message)
        if run.status != Run.Status.SUCCEEDED:
            return AgentAnswer(None, None, run.error_message or run.status)
        values = (run.parameters or {}).get("values", {})
        return AgentAnswer(run.generated_sql or None, values.get("chart_type"))

    return answer


async def _drive_attended(run_id: str) -> None:
    """Drive a run while telling the worker someone is listening, as an open stream does."""
    import asyncio

    from channels.db import database_sync_to_async

    from chat import conf, services
    from chat.consumers import drive_run

    task = asyncio.ensure_future(drive_run(run_id))
    while not task.done():
        await database_sync_to_async(services.touch_listener)(run_id)
        await asyncio.wait({task}, timeout=conf.listener_touch_s())
    await task


def offline_answerer(catalog: list[Any], con: duckdb.DuckDBPyConnection) -> Answerer:
    """Answers through the offline model exactly as the runner talks to it: question, tool call,
    tool result, final message; earlier questions are replayed as the runner replays them."""
    model = OfflineAnalystModel(catalog=catalog)

    def run(messages: list[BaseMessage]) -> tuple[AgentAnswer, AIMessage]:
        sql = None
        reply = model.invoke(messages)
        for _ in range(MAX_TOOL_CALLS):
            if not reply.tool_calls:
                break
            call = reply.tool_calls[0]
            sql = str(call["args"]["sql"])
            result = tool_result_json(con, sql)
            messages = [*messages, reply, ToolMessage(result, tool_call_id=call["id"])]
            reply = model.invoke(messages)
        text = str(reply.content)
        if sql is None or reply.tool_calls or text.startswith(DECLINE_PREFIX):
            return AgentAnswer(None, None, text), reply
        echo, params = parse_final(text)
        chart = (params or {}).get("values", {}).get("chart_type")
        return AgentAnswer(echo or sql, chart), reply

    def answer(question: str, history: Sequence[str]) -> AgentAnswer:
        messages: list[BaseMessage] = [SystemMessage("Vizorch analyst (offline evaluation)")]
        for earlier in history:
            _, final = run([*messages, HumanMessage(earlier)])
            messages += [HumanMessage(earlier), AIMessage(content=final.content)]
        return run([*messages, HumanMessage(question)])[0]

    return answer


# --------------------------------------------------------------------------------------------
# Scoring


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    return bool(a == b)


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for v in row:
        if v is None:
            out.append((0, ""))
        elif isinstance(v, float):
            out.append((1, float(f"{v:.6g}")))
        else:
            out.append((2, str(v)))
    return tuple(out)


def _rows_equal(gold: list[tuple[Any, ...]], got: list[tuple[Any, ...]], ordered: bool) -> bool:
    if len(gold) != len(got):
        return False
    if ordered:
        return all(
            _same(a, b)
            for ga, gb in zip(gold, got, strict=True)
            for a, b in zip(ga, gb, strict=True)
        )
    gs, ts = sorted(gold, key=_sort_key), sorted(got, key=_sort_key)
    if all(_same(a, b) for ga, gb in zip(gs, ts, strict=True) for a, b in zip(ga, gb, strict=True)):
        return True
    # Rounding can order near-equal numbers differently: match greedily instead.
    left = list(ts)
    for row in gs:
        for i, cand in enumerate(left):
            if all(_same(a, b) for a, b in zip(row, cand, strict=True)):
                del left[i]
                break
        else:
            return False
    return True


def results_match(
    gold: list[tuple[Any, ...]], got: list[tuple[Any, ...]], ordered: bool
) -> tuple[bool, str]:
    """Equal as multisets (lists when ordered), columns in any order, numbers within 1e-6."""
    gold = [tuple(_norm(v) for v in r) for r in gold]
    got = [tuple(_norm(v) for v in r) for r in got]
    if len(gold) != len(got):
        return False, f"{len(got)} rows, gold has {len(gold)}"
    width = len(gold[0]) if gold else 0
    got_width = len(got[0]) if got else width
    if width != got_width:
        return False, f"{got_width} columns, gold has {width}"
    if not gold:
        return True, ""
    for perm in itertools.permutations(range(width)):
        if _rows_equal(gold, [tuple(r[i] for i in perm) for r in got], ordered):
            return True, ""
        if math.factorial(width) > 720:
            break
    return False, "values differ" + (" (or their order)" if ordered else "")


def evaluate(
    questions: list[Question],
    answer: Answerer,
    con: duckdb.DuckDBPyConnection,
) -> list[Outcome]:
    outcomes = []
    for q in questions:
        out = Outcome(q)
        try:
            raw = answer(q.question, q.history)
            got = AgentAnswer(*raw)
        except Exception as exc:
            out.crashed = True
            out.reason = f"crash: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
            outcomes.append(out)
            continue
        out.sql, out.chart = got.sql, got.chart_type
        if got.sql is None:
            out.declined = True
            out.reason = f"declined: {got.message}"
            outcomes.append(out)
            continue
        if q.expect_decline:
            out.reason = "answered a question it must decline"
            outcomes.append(out)
            continue
        out.chart_ok = got.chart_type == q.chart
        assert q.sql is not None
        gold_rows = con.sql(q.sql).fetchall()
        try:
            agent_rows = con.sql(got.sql).fetchall()
        except duckdb.Error as exc:
            out.reason = f"agent SQL failed: {str(exc).splitlines()[0]}"
            outcomes.append(out)
            continue
        out.executed_ok, why = results_match(gold_rows, agent_rows, q.ordered)
        reasons = []
        if not out.executed_ok:
            reasons.append(f"result: {why}")
        if not out.chart_ok:
            reasons.append(f"chart: {got.chart_type}, expected {q.chart}")
        out.reason = "; ".join(reasons)
        outcomes.append(out)
    return outcomes


def load_questions(path: Path) -> list[Question]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Question.from_json(json.loads(line)) for line in lines if line.strip()]


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100.0 * n / d:.1f}%" if d else "0/0"


class Command(BaseCommand):
    help = "Score the agent on evals/questions.jsonl (execution and chart-type accuracy)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--questions", default=str(Path(settings.BASE_DIR) / "evals" / "questions.jsonl")
        )
        parser.add_argument("--db", default=str(settings.VIZORCH_DUCKDB_PATH))
        parser.add_argument("--scale", type=float, default=1.0, help="demo scale if --db is new")
        parser.add_argument("--only", nargs="*", default=None, help="question ids to run")
        parser.add_argument(
            "--via",
            choices=["runner", "model"],
            default="runner",
            help="runner: the product's run path with VIZORCH_LLM (default); "
            "model: the offline model alone",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["db"])
        if not path.exists():
            try:
                from executors.demo_data import ensure_demo_database
            except ImportError as exc:
                raise CommandError(f"{path} does not exist; run `manage.py seed_demo`") from exc
            self.stdout.write(f"Building the demo database at {path} ...")
            ensure_demo_database(path, options["scale"])
        questions = load_questions(Path(options["questions"]))
        if options["only"]:
            questions = [q for q in questions if q.id in set(options["only"])]
        if options["via"] == "runner" and path != Path(settings.VIZORCH_DUCKDB_PATH):
            raise CommandError(
                "--via runner answers from the configured engine: set VIZORCH_DUCKDB_PATH "
                f"to {path} instead of --db"
            )
        con = duckdb.connect(str(path), read_only=True)
        try:
            answerer = (
                runner_answerer()
                if options["via"] == "runner"
                else offline_answerer(load_catalog(path), con)
            )
            outcomes = evaluate(questions, answerer, con)
        finally:
            con.close()
        self._report(outcomes, path)

    def _report(self, outcomes: list[Outcome], path: Path) -> None:
        w = self.stdout.write
        scored = [o for o in outcomes if not o.question.expect_decline]
        must_decline = [o for o in outcomes if o.question.expect_decline]
        w(f"Agent evaluation: {len(outcomes)} questions on {path}")
        for o in outcomes:
            if o.question.expect_decline:
                mark = "ok  " if o.declined else "FAIL"
                w(f"  {o.question.id:6} {mark} {'declined':8} {o.question.question}")
                continue
            mark = "ok  " if o.executed_ok and o.chart_ok else "FAIL"
            w(f"  {o.question.id:6} {mark} {o.chart or '-':8} {o.question.question}")
        executed = sum(o.executed_ok for o in scored)
        charts = sum(o.chart_ok for o in scored)
        w("")
        w(f"Execution accuracy:  {_pct(executed, len(scored))}")
        w(f"Chart-type accuracy: {_pct(charts, len(scored))}")
        w(f"Declined (answerable questions, counted wrong): {sum(o.declined for o in scored)}")
        if must_decline:
            ok = sum(o.declined for o in must_decline)
            w(f"Must-decline questions declined: {ok}/{len(must_decline)}")
        w(f"Crashes: {sum(o.crashed for o in outcomes)}")
        wrong = [
            o
            for o in outcomes
            if (o.question.expect_decline and not o.declined)
            or (not o.question.expect_decline and not (o.executed_ok and o.chart_ok))
        ]
        if wrong:
            w("")
            w("Wrong:")
            for o in wrong:
                w(f"  {o.question.id} {o.question.question!r}: {o.reason}")
                if o.sql:
                    w("      " + o.sql.replace("\n", "\n      "))

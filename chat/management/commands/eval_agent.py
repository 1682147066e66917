"""Scores the agent on a question file and the DuckDB file it is written against (evals/README.md):
each answerable question is right (its rows equal the gold SQL's), declined (refused or asked back)
or wrong; crashes and chart-type accuracy are counted apart, must-decline questions must be
declined. `--dataset NAME` (or `all`) scores the sets of evals/datasets.py, building their files
under var/eval/ on first use; `--questions FILE --db FILE` scores any pair. `--report` writes
docs/EVALUATION.md.

`answer(question, history)` is the one seam. By default it goes through the product's own path:
a conversation and its runs, driven by the run worker with the configured model (VIZORCH_LLM), so
the catalog, the guard, the engine and the result store all take part (a dataset other than the
configured engine's is registered as an engine of its own, profiled on first use). `--via model`
talks to the offline analyst directly through the message protocol (a quick check of the analyst
alone)."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import math
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import duckdb
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from chat.agent.fences import FenceParser
from chat.agent.offline_model import OfflineAnalystModel
from evals.datasets import DATASETS, ensure_dataset
from executors.catalog.model import SemanticCatalog

MAX_TOOL_CALLS = 4
Verdict = Literal["right", "declined", "wrong", "crash", "passed", "failed"]


class AgentAnswer(NamedTuple):
    sql: str | None
    chart_type: str | None
    message: str = ""
    asked: bool = False


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
    split: str = "main"

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
            split=str(data.get("split") or "main"),
        )


@dataclass
class Outcome:
    question: Question
    verdict: Verdict = "wrong"
    chart_ok: bool = False
    asked: bool = False
    reason: str = ""
    sql: str | None = None
    chart: str | None = None

    @property
    def executed_ok(self) -> bool:
        return self.verdict == "right"

    @property
    def declined(self) -> bool:
        return self.verdict in ("declined", "passed")

    @property
    def crashed(self) -> bool:
        return self.verdict == "crash"


# --------------------------------------------------------------------------------------------
# The agent side


def load_catalog(path: Path, *, curated: bool | None = None) -> SemanticCatalog:
    """The catalog the offline analyst sees for the DuckDB file at `path`: profiled the way the
    local engine is profiled, with the demo's curated catalog applied when the file holds the
    demo dataset (or when `curated` says so), as the chat worker hands it to the model."""
    from executors import demo_data
    from executors.catalog import document
    from executors.catalog.curation import apply_document
    from executors.catalog.profile import profile_engine
    from executors.catalog.selectors import visible_part
    from executors.engines.duckdb_local import LocalDuckDBEngine

    engine = LocalDuckDBEngine("eval", path)
    try:
        catalog = profile_engine(engine)
    finally:
        engine.close()
    if curated if curated is not None else demo_data.has_demo_tables(path):
        layer = document.parse(demo_data.CATALOG_PATH.read_text(encoding="utf-8"))
        catalog = apply_document(catalog, layer)
    return visible_part(catalog)


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


def read_final(text: str) -> FenceParser:
    """A final message read by the same parser the runner uses."""
    parser = FenceParser()
    parser.feed(text)
    parser.close()
    return parser


EVAL_USERNAME = "vizorch-eval"
RUN_CRASH_PREFIX = "The run failed:"


def runner_answerer(engine: str | None = None) -> Answerer:
    """Answers as the portal would be answered: each question (after its earlier questions, in one
    conversation) becomes a run on `engine` that the run worker drives to its end."""
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
            run = services.start_chat_run(
                user, prompt, conversation_id=conversation_id, engine=engine
            )
            conversation_id = run.conversation_id
            async_to_sync(_drive_attended)(str(run.id))
        assert run is not None
        run.refresh_from_db()
        if run.error_message.startswith(RUN_CRASH_PREFIX):
            raise RuntimeError(run.error_message)
        if run.status != Run.Status.SUCCEEDED:
            return AgentAnswer(None, None, run.error_message or run.status)
        final = read_final(run.final_message)
        if final.result.clarify is not None:
            return AgentAnswer(None, None, str(final.result.clarify.get("question")), asked=True)
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


def offline_answerer(catalog: SemanticCatalog, con: duckdb.DuckDBPyConnection) -> Answerer:
    """Answers through the offline model exactly as the runner talks to it: question, tool call,
    tool result, final message; earlier questions are replayed as the runner replays them. Value
    look-ups read the same DuckDB file directly (the engine's internal path, in the product)."""

    def lookup(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    model = OfflineAnalystModel(catalog=catalog, lookup=lookup)

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
        final = read_final(str(reply.content)).result
        if final.clarify is not None:
            return AgentAnswer(None, None, str(final.clarify.get("question")), asked=True), reply
        if sql is None or reply.tool_calls or not final.code:
            return AgentAnswer(None, None, str(reply.content)), reply
        chart = (final.params or {}).get("values", {}).get("chart_type")
        return AgentAnswer(final.sql or sql, chart), reply

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


def _same_row(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(_same(x, y) for x, y in zip(a, b, strict=True))


def _same_multiset(gold: list[tuple[Any, ...]], got: list[tuple[Any, ...]]) -> bool:
    gs, ts = sorted(gold, key=_sort_key), sorted(got, key=_sort_key)
    if all(_same_row(g, t) for g, t in zip(gs, ts, strict=True)):
        return True
    # Rounding can order near-equal numbers differently: match greedily instead.
    left = list(ts)
    for row in gs:
        for i, cand in enumerate(left):
            if _same_row(row, cand):
                del left[i]
                break
        else:
            return False
    return True


def _ties(rows: list[tuple[Any, ...]]) -> list[tuple[int, int]]:
    """Runs of consecutive rows whose numbers are all equal: their order is not defined."""

    def numbers(row: tuple[Any, ...]) -> tuple[float, ...]:
        return tuple(v for v in row if isinstance(v, float))

    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(rows) + 1):
        first = rows[start]
        if (
            i == len(rows)
            or not numbers(first)
            or any(_is_time(v) for v in first)
            or numbers(rows[i]) != numbers(first)
        ):
            runs.append((start, i))
            start = i
    return runs


def _is_time(value: Any) -> bool:
    return isinstance(value, dt.date | dt.datetime)


def _rows_equal(gold: list[tuple[Any, ...]], got: list[tuple[Any, ...]], ordered: bool) -> bool:
    if len(gold) != len(got):
        return False
    if not ordered:
        return _same_multiset(gold, got)
    # In order, except among rows that tie on every number (a top 5 whose 3rd and 4th are equal).
    return all(_same_multiset(gold[a:b], got[a:b]) for a, b in _ties(gold))


def results_match(
    gold: list[tuple[Any, ...]], got: list[tuple[Any, ...]], ordered: bool
) -> tuple[bool, str]:
    """Equal as multisets (lists when ordered, ties in any order), columns in any order, numbers
    within 1e-6."""
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
        outcomes.append(out)
        try:
            got = AgentAnswer(*answer(q.question, q.history))
        except Exception as exc:
            out.verdict = "crash"
            out.reason = f"crash: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
            continue
        out.sql, out.chart, out.asked = got.sql, got.chart_type, got.asked
        if q.expect_decline:
            out.verdict = "passed" if got.sql is None else "failed"
            out.reason = "" if got.sql is None else "answered a question it must decline"
            continue
        if got.sql is None:
            out.verdict = "declined"
            out.reason = ("asked back: " if got.asked else "declined: ") + got.message
            continue
        assert q.sql is not None
        gold_rows = con.sql(q.sql).fetchall()
        try:
            agent_rows = con.sql(got.sql).fetchall()
        except duckdb.Error as exc:
            out.reason = f"agent SQL failed: {str(exc).splitlines()[0]}"
            continue
        ok, why = results_match(gold_rows, agent_rows, q.ordered)
        out.verdict = "right" if ok else "wrong"
        out.chart_ok = ok and got.chart_type == q.chart
        reasons = [] if ok else [f"result: {why}"]
        if ok and not out.chart_ok:
            reasons.append(f"chart: {got.chart_type}, expected {q.chart}")
        out.reason = "; ".join(reasons)
    return outcomes


def load_questions(path: Path) -> list[Question]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Question.from_json(json.loads(line)) for line in lines if line.strip()]


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100.0 * n / d:.1f}%" if d else "0/0"


@dataclass
class Score:
    """The counts of one split of one dataset."""

    questions: int = 0
    right: int = 0
    declined: int = 0
    asked: int = 0
    wrong: int = 0
    crashes: int = 0
    charts: int = 0
    must_decline: int = 0
    must_decline_ok: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Score:
        s = cls(outcomes=list(outcomes))
        for o in outcomes:
            if o.question.expect_decline:
                s.must_decline += 1
                s.must_decline_ok += o.verdict == "passed"
                s.crashes += o.verdict == "crash"
                continue
            s.questions += 1
            s.right += o.verdict == "right"
            s.declined += o.verdict == "declined"
            s.asked += o.verdict == "declined" and o.asked
            s.wrong += o.verdict == "wrong"
            s.crashes += o.verdict == "crash"
            s.charts += o.chart_ok
        return s

    @property
    def right_pct(self) -> float:
        return 100.0 * self.right / self.questions if self.questions else 0.0


# --------------------------------------------------------------------------------------------
# The command


class Command(BaseCommand):
    help = "Score the agent on evaluation questions (right / declined / wrong per dataset)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dataset",
            choices=[*DATASETS, "all"],
            default=None,
            help="an evaluation set of evals/ (default: demo, or --questions/--db)",
        )
        parser.add_argument("--questions", default=None, help="a question file (JSON lines)")
        parser.add_argument("--db", default=None, help="the DuckDB file the questions are about")
        parser.add_argument("--scale", type=float, default=None, help="scale of a built dataset")
        parser.add_argument("--only", nargs="*", default=None, help="question ids to run")
        parser.add_argument(
            "--via",
            choices=["runner", "model"],
            default="runner",
            help="runner: the product's run path with VIZORCH_LLM (default); "
            "model: the offline analyst alone",
        )
        parser.add_argument(
            "--report", default=None, help="write the results as Markdown to this file"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = self._datasets(options)
        results: list[tuple[str, Path, Score, Score]] = []
        for name, questions_path, db_path in names:
            questions = load_questions(questions_path)
            if options["only"]:
                questions = [q for q in questions if q.id in set(options["only"])]
            outcomes = self._score(name, questions, db_path, options)
            main = Score.of([o for o in outcomes if o.question.split != "holdout"])
            holdout = Score.of([o for o in outcomes if o.question.split == "holdout"])
            self._print(name, db_path, outcomes, main, holdout)
            results.append((name, db_path, main, holdout))
        if options["report"]:
            write_report(Path(options["report"]), results, options["via"])
            self.stdout.write(f"Wrote {options['report']}")

    def _datasets(self, options: dict[str, Any]) -> list[tuple[str, Path, Path]]:
        if options["questions"] or options["db"]:
            if not (options["questions"] and options["db"]):
                raise CommandError("--questions and --db go together")
            db = Path(options["db"])
            if not db.exists():
                raise CommandError(f"{db} does not exist")
            return [(Path(options["questions"]).stem, Path(options["questions"]), db)]
        wanted = options["dataset"] or "demo"
        names = list(DATASETS) if wanted == "all" else [wanted]
        out = []
        for name in names:
            dataset = DATASETS[name]
            if name == "demo":
                path = Path(settings.VIZORCH_DUCKDB_PATH)
                if not path.exists():
                    self.stdout.write(f"Building the demo database at {path} ...")
                    ensure_dataset(name, path, options["scale"])
            else:
                path = Path(settings.VAR_DIR) / "eval" / f"{name}.duckdb"
                if not path.exists():
                    self.stdout.write(f"Building the {name} evaluation database at {path} ...")
                ensure_dataset(name, path, options["scale"])
            out.append((name, dataset.questions, path))
        return out

    def _score(
        self, name: str, questions: list[Question], path: Path, options: dict[str, Any]
    ) -> list[Outcome]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            if options["via"] == "model":
                curated = DATASETS[name].curated if name in DATASETS else None
                answerer = offline_answerer(load_catalog(path, curated=curated), con)
                return evaluate(questions, answerer, con)
            engine = self._engine_for(name, path)
            try:
                return evaluate(questions, runner_answerer(engine), con)
            finally:
                if engine is not None:
                    from executors import registry

                    registry.unregister(engine)
        finally:
            con.close()

    def _engine_for(self, name: str, path: Path) -> str | None:
        """The configured engine when it is this file; else the file as an engine of its own."""
        if path.resolve() == Path(settings.VIZORCH_DUCKDB_PATH).resolve():
            return None
        from executors import registry
        from executors.engines.duckdb_local import LocalDuckDBEngine

        engine_name = f"eval-{name}"
        registry.register(LocalDuckDBEngine(engine_name, path))
        return engine_name

    def _print(
        self, name: str, path: Path, outcomes: list[Outcome], main: Score, holdout: Score
    ) -> None:
        w = self.stdout.write
        w(f"Agent evaluation: {name}, {len(outcomes)} questions on {path}")
        for o in outcomes:
            mark = {"right": "ok  ", "passed": "ok  "}.get(o.verdict, o.verdict.upper()[:4])
            split = "H" if o.question.split == "holdout" else " "
            w(f"  {o.question.id:6} {split} {mark} {o.chart or '-':8} {o.question.question}")
        for label, s in (("main", main), ("holdout", holdout)):
            if not s.questions and not s.must_decline:
                continue
            w(
                f"{label}: right {_pct(s.right, s.questions)}, declined {s.declined} "
                f"(asked back {s.asked}), wrong {s.wrong}, crashes {s.crashes}, "
                f"must-decline declined {s.must_decline_ok}/{s.must_decline}, "
                f"chart type right {s.charts}/{s.right}"
            )
        everything = Score.of(outcomes)
        w(f"Execution accuracy:  {_pct(everything.right, everything.questions)}")
        w(f"Chart-type accuracy: {_pct(everything.charts, everything.questions)}")
        w(f"Declined (answerable questions): {everything.declined}")
        w(f"Wrong: {everything.wrong}")
        if everything.must_decline:
            ok, total = everything.must_decline_ok, everything.must_decline
            w(f"Must-decline questions declined: {ok}/{total}")
        w(f"Crashes: {everything.crashes}")
        misses = [
            o
            for o in outcomes
            if o.verdict not in ("right", "passed") or not (o.chart_ok or o.question.expect_decline)
        ]
        if misses:
            w("")
            w("Not right:")
            for o in misses:
                w(f"  {o.question.id} {o.question.question!r}: {o.reason}")
                if o.sql:
                    w("      " + o.sql.replace("\n", "\n      "))


def write_report(path: Path, results: list[tuple[str, Path, Score, Score]], via: str) -> None:
    """docs/EVALUATION.md: the table per dataset, then each question not answered right."""
    lines = [
        "# Evaluation of the offline analyst",
        "",
        "Written by `make eval` (`manage.py eval_agent --dataset all --report docs/EVALUATION.md`);"
        f" answers through the {'product run path' if via == 'runner' else 'offline model alone'}."
        " Question sets and scoring: evals/README.md. *Right*: rows equal the gold SQL's; "
        "*declined*: refused or asked back (never counted as wrong); *wrong*: rows differ. "
        "Holdout questions were never used to tune the analyst.",
        "",
        "The offline analyst reads only each engine's semantic catalog: the demo's is profiled and "
        "curated (executors/demo_catalog.yaml), TPC-H's and vega's are profiled only, as a new "
        "user's data would be. It uses no embedding model: word matching on the catalog's names, "
        "labels, synonyms, abbreviations and values answers these sets with no wrong answer on "
        "their main parts, and what it declines needs words the catalog does not have (a "
        "synonym a curator adds), not a fuzzier match; it asks back instead of guessing.",
        "",
        "| dataset | split | questions | right | declined (asked back) | wrong | crashes "
        "| must-decline declined | chart type right |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, _, main, holdout in results:
        for label, s in (("main", main), ("holdout", holdout)):
            if not s.questions and not s.must_decline:
                continue
            lines.append(
                f"| {name} | {label} | {s.questions} | {s.right} ({s.right_pct:.0f}%) | "
                f"{s.declined} ({s.asked}) | {s.wrong} | {s.crashes} | "
                f"{s.must_decline_ok}/{s.must_decline} | {s.charts}/{s.right} |"
            )
    for name, _db_path, main, holdout in results:
        misses = [
            o for o in [*main.outcomes, *holdout.outcomes] if o.verdict not in ("right", "passed")
        ]
        lines += ["", f"## {name}", ""]
        if not misses:
            lines.append("Every answerable question right, every must-decline question declined.")
            continue
        lines.append("Questions not answered right, and why:")
        lines.append("")
        for o in misses:
            split = " (holdout)" if o.question.split == "holdout" else ""
            reason = " ".join(o.reason.split())
            if len(reason) > 400:
                reason = reason[:397] + "..."
            lines.append(
                f"- `{o.question.id}`{split} {o.question.question!r}: **{o.verdict}**, {reason}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

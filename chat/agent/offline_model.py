"""The built-in analyst: a LangChain chat model that needs no network. It reads the question (and
the earlier questions of the conversation, for refinements), calls `run_sql` with SQL written from
the catalog and the business vocabulary, then answers per the agent message protocol of
docs/artifact.md: a short reasoning, the SQL, a TSX component and its parameters."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

from chat.agent.chart_templates import build_params, build_spec, render_component
from chat.agent.question_parser import (
    ChartType,
    Declined,
    Intent,
    Measure,
    Schema,
    choose_chart,
    parse_question,
)
from chat.agent.sql_builder import LOOKUP_COLUMNS, BuiltQuery, build_sql, build_value_lookup

DECLINE_PREFIX = "I can't answer that offline"
RUN_SQL = "run_sql"


@dataclass(frozen=True)
class Plan:
    """What the model makes of one question: an intent and its query, or a refusal."""

    intent: Intent | None
    query: BuiltQuery | None
    declined: Declined | None = None
    chart_type: ChartType = "table"


class OfflineAnalystModel(BaseChatModel):
    """Deterministic analyst over one catalog; see the module docstring for the protocol."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    catalog: list[Any] = Field(default_factory=list)
    """Tables with columns and sample values (`executors.engines.base.TableInfo` or alike)."""
    chunk_words: int = 4
    """How many words each streamed text chunk carries."""

    _schema: Schema = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._schema = _schema_for(self.catalog)

    @property
    def _llm_type(self) -> str:
        return "vizorch-offline"

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, **kwargs)

    # ---------------------------------------------------------------------------------------
    # Planning

    def plan(
        self, messages: Sequence[BaseMessage], learned: Sequence[tuple[str, str, str]] = ()
    ) -> Plan:
        """The intent of the newest question, refined by the earlier ones it follows.
        `learned` are (table, column, value) triples found in the data during the conversation."""
        schema = self._schema.with_values(learned)
        questions = _questions(messages)
        if not questions:
            declined = Declined(f"{DECLINE_PREFIX}: there is no question.", "not_understood")
            return Plan(None, None, declined)
        previous: Intent | None = None
        for text, answered in questions[:-1]:
            if not answered:
                continue
            parsed = parse_question(text, schema, previous)
            if isinstance(parsed, Intent):
                previous = parsed
        parsed = parse_question(questions[-1][0], schema, previous)
        if isinstance(parsed, Declined):
            return Plan(None, None, parsed)
        built = build_sql(parsed, schema)
        if isinstance(built, Declined):
            return Plan(parsed, None, built)
        return Plan(parsed, built, chart_type=choose_chart(parsed, schema))

    # ---------------------------------------------------------------------------------------
    # LangChain interface

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        merged: AIMessageChunk | None = None
        for chunk in self._stream(messages, stop, run_manager, **kwargs):
            msg = chunk.message
            assert isinstance(msg, AIMessageChunk)
            merged = msg if merged is None else merged + msg
        assert merged is not None
        message = AIMessage(
            content=merged.content,
            tool_calls=merged.tool_calls,
            id=merged.id,
            response_metadata={"model_name": "offline"},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        msg_id = f"run-offline-{uuid.uuid4().hex[:12]}"
        calls = _current_run(messages)
        lookups = [(sql, res) for sql, res in calls if _is_lookup(sql)]
        results = [res for sql, res in calls if not _is_lookup(sql)]
        learned = _values_from_history(messages, self._schema) + _values_from_lookups(lookups)
        plan = self.plan(messages, learned)
        if results:
            if results[-1].startswith("ERROR"):
                detail = results[-1].removeprefix("ERROR:").strip()
                yield from self._text(
                    f"{DECLINE_PREFIX}: the query I wrote failed ({detail}) and I cannot repair "
                    "SQL without an LLM; configure one with VIZORCH_LLM.",
                    msg_id,
                    run_manager,
                )
            elif plan.intent is None or plan.query is None:
                yield from self._text(_decline_text(plan), msg_id, run_manager)
            else:
                yield from self._text(self.final_answer(plan, results[-1]), msg_id, run_manager)
            return
        if plan.declined is not None and plan.declined.lookup and not lookups:
            lookup = build_value_lookup(self._schema, plan.declined.lookup)
            if lookup is not None:
                words = ", ".join(f'"{w}"' for w in plan.declined.lookup[:3])
                thought = f"I don't recognise {words}; looking for it among the data's values.\n"
                yield from self._text(thought, msg_id, run_manager)
                yield self._tool_call(lookup, msg_id, run_manager)
                return
        if plan.declined is not None or plan.query is None:
            yield from self._text(_decline_text(plan), msg_id, run_manager)
            return
        yield from self._text(_reasoning(plan, self._schema), msg_id, run_manager)
        yield self._tool_call(plan.query.sql, msg_id, run_manager)

    def _tool_call(
        self, sql: str, msg_id: str, run_manager: CallbackManagerForLLMRun | None
    ) -> ChatGenerationChunk:
        args = json.dumps({"sql": sql})
        call = tool_call_chunk(name=RUN_SQL, args=args, id=f"call_{uuid.uuid4().hex[:16]}", index=0)
        chunk = ChatGenerationChunk(
            message=AIMessageChunk(content="", id=msg_id, tool_call_chunks=[call])
        )
        if run_manager:
            run_manager.on_llm_new_token("", chunk=chunk)
        return chunk

    def final_answer(self, plan: Plan, tool_result: str) -> str:
        """The protocol's final message for `plan`, given the `run_sql` result text."""
        assert plan.intent is not None and plan.query is not None
        row_count = _row_count(tool_result)
        chart = plan.chart_type
        spec = build_spec(plan.intent, plan.query, chart)
        params = build_params(spec, row_count)
        if row_count == 0:
            note = "The query returned no rows, so the chart will be empty."
        else:
            rows = f"{row_count} row{'s' if row_count != 1 else ''}" if row_count else "the rows"
            note = f"The query returned {rows}. {_chart_reason(chart, plan)}"
        return (
            f"{note}\n\n```sql\n{plan.query.sql}\n```\n\n```tsx\n{render_component(spec)}```\n\n"
            f"```json params\n{json.dumps(params, indent=2, ensure_ascii=False)}\n```\n"
        )

    def _text(
        self, text: str, msg_id: str, run_manager: CallbackManagerForLLMRun | None
    ) -> Iterator[ChatGenerationChunk]:
        for piece in _pieces(text, self.chunk_words):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece, id=msg_id))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


# --------------------------------------------------------------------------------------------
# Helpers


def _content_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = [p.get("text", "") if isinstance(p, dict) else str(p) for p in content]
    return "".join(parts)


def _questions(messages: Sequence[BaseMessage]) -> list[tuple[str, bool]]:
    """Each human question with whether it got an answer (declined ones do not refine)."""
    out: list[tuple[str, bool]] = []
    for msg in messages:
        if isinstance(msg, HumanMessage):
            out.append((_content_text(msg), True))
        elif (
            isinstance(msg, AIMessage)
            and out
            and not msg.tool_calls
            and _content_text(msg).startswith(DECLINE_PREFIX)
        ):
            out[-1] = (out[-1][0], False)
    return out


_SCHEMAS: dict[str, Schema] = {}
_SCHEMA_CACHE_SIZE = 8


def _schema_for(catalog: Sequence[Any]) -> Schema:
    """The parsed catalog, shared by the models of successive runs over the same catalog (the
    runner builds a model per run; the lexicon takes tens of milliseconds to build)."""
    key = repr(
        [
            (
                t.name,
                [
                    (c.name, c.type, list(c.sample_values or []), getattr(c, "synonyms", None))
                    for c in t.columns
                ],
                getattr(t, "primary_key", None),
                [repr(fk) for fk in getattr(t, "foreign_keys", None) or []],
                getattr(t, "synonyms", None),
            )
            for t in catalog
        ]
    )
    schema = _SCHEMAS.get(key)
    if schema is None:
        if len(_SCHEMAS) >= _SCHEMA_CACHE_SIZE:
            _SCHEMAS.pop(next(iter(_SCHEMAS)))
        schema = _SCHEMAS[key] = Schema(catalog)
    return schema


def _decline_text(plan: Plan) -> str:
    return plan.declined.message if plan.declined else f"{DECLINE_PREFIX}."


def _current_run(messages: Sequence[BaseMessage]) -> list[tuple[str, str]]:
    """(SQL, tool result) of each `run_sql` call since the newest question."""
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    sql_by_id: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for msg in messages[start + 1 :]:
        if isinstance(msg, AIMessage):
            for call in msg.tool_calls:
                sql_by_id[str(call.get("id"))] = str(call.get("args", {}).get("sql", ""))
        elif isinstance(msg, ToolMessage):
            out.append((sql_by_id.get(str(msg.tool_call_id), ""), _content_text(msg)))
    return out


def _is_lookup(sql: str) -> bool:
    return f"AS {LOOKUP_COLUMNS[2]}" in sql


def _values_from_lookups(lookups: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for _sql, result in lookups:
        try:
            data = json.loads(result)
        except ValueError:
            continue
        for row in data.get("preview") or [] if isinstance(data, dict) else []:
            if isinstance(row, list) and len(row) == 3:
                found.append((str(row[0]), str(row[1]), str(row[2])))
    return found


_EQUALS = re.compile(r"\b(\w+)\.(\w+)\s*(?:=|<>)\s*'((?:[^']|'')*)'")
_IN_LIST = re.compile(r"\b(\w+)\.(\w+)\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", re.I)


def _values_from_history(
    messages: Sequence[BaseMessage], schema: Schema
) -> list[tuple[str, str, str]]:
    """Filter values in the SQL of earlier answers, so a refinement of "revenue in Paris" still
    knows Paris after the run that looked it up is over (tool messages are not replayed)."""
    tables = {alias: table for table, alias in schema.aliases.items()}
    found: list[tuple[str, str, str]] = []
    for msg in messages:
        if not isinstance(msg, AIMessage) or msg.tool_calls:
            continue
        text = _content_text(msg)
        for fence in re.findall(r"```sql\n(.*?)```", text, re.S):
            for alias, column, value in _EQUALS.findall(fence):
                if alias in tables:
                    found.append((tables[alias], column, value.replace("''", "'")))
            for alias, column, listed in _IN_LIST.findall(fence):
                if alias in tables:
                    for value in re.findall(r"'((?:[^']|'')*)'", listed):
                        found.append((tables[alias], column, value.replace("''", "'")))
    return found


def _row_count(tool_result: str) -> int | None:
    try:
        data = json.loads(tool_result)
    except ValueError:
        return None
    count = data.get("row_count") if isinstance(data, dict) else None
    return count if isinstance(count, int) else None


def _pieces(text: str, words: int) -> Iterator[str]:
    tokens = re.findall(r"\S+\s*|\s+", text)
    for i in range(0, len(tokens), words):
        yield "".join(tokens[i : i + words])


def _measure_sql(m: Measure, schema: Schema) -> str:
    if m.agg == "ratio":
        assert m.num is not None and m.den is not None
        return f"{_measure_sql(m.num, schema)} / {_measure_sql(m.den, schema)}"
    if m.agg == "count_entity":
        return f"COUNT(DISTINCT {m.table}.{m.column})"
    return f"{m.agg.upper()}({m.table}.{m.column})"


def _reasoning(plan: Plan, schema: Schema) -> str:
    intent = plan.intent
    assert intent is not None
    parts = []
    measures = "; ".join(f"{m.label} = {_measure_sql(m, schema)}" for m in intent.measures)
    parts.append(f"Measuring {measures}.")
    if intent.grain:
        parts.append(f"Bucketing by {intent.grain}, oldest first.")
    if intent.dimensions:
        dims = ", ".join(f"{d.table}.{d.column}" for d in intent.dimensions)
        parts.append(f"Grouping by {dims}.")
    if intent.filters:
        conds = ", ".join(
            f"{f.column} {'not ' if f.negate else ''}= {' or '.join(f.values)}"
            for f in intent.filters
        )
        parts.append(f"Keeping only {conds}.")
    if intent.time_range:
        parts.append(f"Only dates {intent.time_range.describe()}.")
    if intent.top_n:
        word = "bottom" if intent.order == "asc" else "top"
        parts.append(f"Keeping the {word} {intent.top_n}.")
    if intent.growth:
        parts.append("Adding the change against the previous period.")
    parts.append("Running the query.")
    return " ".join(parts) + "\n"


def _chart_reason(chart: str, plan: Plan) -> str:
    intent = plan.intent
    assert intent is not None
    if intent.chart == chart:
        return f"Showing it as a {chart} chart, as asked."
    return {
        "line": "A line chart shows how it moves over time.",
        "area": "An area chart shows how it moves over time.",
        "bar": "A bar chart compares the categories side by side.",
        "pie": "A pie chart shows each part's share of the whole.",
        "scatter": "A scatter plot shows how the two measures relate.",
        "kpi": "It is a single number, so it is shown as a KPI card.",
        "table": "A table shows every column as it is.",
    }.get(chart, "")

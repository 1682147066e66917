"""The built-in offline analyst (the `analyst` package) as a LangChain chat model: it reads the
conversation's questions and the run's tool results from the messages, calls `run_sql` with the
query it planned, and answers in the agent message protocol (chat/agent/fences.py). It looks
values up in the data through the engine's internal path, never as a run's SQL. In UI-only mode
(generate-ui, render-error repair) it writes a component for data that exists. The message
protocol is docs/artifact.md's."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Literal

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
from pydantic import ConfigDict, Field, PrivateAttr

from analyst import replies
from analyst.core import Analyst, Answer
from analyst.intent import Clarify, Decline
from analyst.lookup import LookupRunner
from chat.agent.fences import clarify_message, decline_message, final_message
from executors.catalog.model import SemanticCatalog

RUN_SQL = "run_sql"


class OfflineAnalystModel(BaseChatModel):
    """Deterministic analyst over one semantic catalog; see the module docstring."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # Out of the model's repr: LangChain puts `repr(model)` into every run's serialized model
    # (to_json_not_implemented), and the catalog's repr was a twentieth of a run's CPU.
    catalog: SemanticCatalog | None = Field(default=None, repr=False)
    lookup: LookupRunner | None = Field(default=None, repr=False)
    mode: Literal["analyst", "ui"] = "analyst"
    chunk_chars: int = 1500
    """Streamed text comes in pieces of about this many characters, cut after a line: the
    offline model has its whole answer at once, so it sends a handful of pieces, not tokens."""

    _analyst: Analyst | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        if self.catalog is not None:
            self._analyst = Analyst(self.catalog, lookup=self.lookup)

    @property
    def _llm_type(self) -> str:
        return "vizorch-offline"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        # The offline analyst calls the tools it knows by name; their JSON schemas, which took a
        # twentieth of a run to build, are never read.
        named = [
            {"type": "function", "function": {"name": getattr(t, "name", str(t))}} for t in tools
        ]
        return self.bind(tools=named, **kwargs)

    @property
    def analyst(self) -> Analyst:
        if self._analyst is None:
            self._analyst = Analyst(SemanticCatalog(engine="none", dialect="duckdb"))
        return self._analyst

    # --- LangChain interface ---------------------------------------------------------------
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
        if self.mode == "ui":
            yield from self._text(self.revise(messages), msg_id, run_manager)
            return
        questions = _questions(messages)
        if not questions:
            text = self.decline(Decline("not_understood", "there is no question"))
            yield from self._text(text, msg_id, run_manager)
            return
        question = questions[-1][0]
        earlier = [text for text, answered in questions[:-1] if answered]
        plan = self.analyst.plan(question, earlier)
        results = _current_results(messages)
        if results:
            yield from self._text(self.after_query(plan, results[-1]), msg_id, run_manager)
            return
        if isinstance(plan, Answer):
            yield from self._text(plan.reasoning() + "\n", msg_id, run_manager)
            yield self._tool_call(plan.sql, msg_id, run_manager)
            return
        yield from self._text(self.reply_without_query(plan), msg_id, run_manager)

    # --- replies ---------------------------------------------------------------------------
    def reply_without_query(self, plan: Clarify | Decline) -> str:
        if isinstance(plan, Clarify):
            return clarify_message(replies.clarify_text(plan), list(plan.options))
        return self.decline(plan)

    def decline(self, plan: Decline) -> str:
        return decline_message(
            self.analyst.decline_text(plan),
            replies.suggestions_for(plan, self.analyst.suggestions()),
        )

    def after_query(self, plan: Answer | Clarify | Decline, result: str) -> str:
        """The final message once `run_sql` answered `result`."""
        if result.startswith("ERROR"):
            return replies.failed_query_text(result.removeprefix("ERROR:").strip())
        if not isinstance(plan, Answer):
            return self.reply_without_query(plan)
        component = self.analyst.component(plan, _row_count(result))
        return final_message(
            component.note, sql=plan.sql, code=component.code, params=component.params
        )

    def revise(self, messages: Sequence[BaseMessage]) -> str:
        """UI-only: the request, the data's columns and the current component, as the runner's
        chart-writer prompt lists them, become a new component."""
        request = _content_text(
            next((m for m in reversed(messages) if isinstance(m, HumanMessage)), HumanMessage(""))
        )
        asked = re.search(r"^Request: (.*)$", request, re.M)
        listed = re.search(r"^Data columns: (.*)$", request, re.M)
        rows = re.search(r"^Rows: (\d+)", request, re.M)
        code = re.search(r"```tsx\n(.*?)```", request, re.S)
        params = re.search(r"```json params\n(.*?)```", request, re.S)
        columns = [
            (name, kind.rstrip(")"))
            for name, _, kind in (
                part.partition(" (") for part in (listed[1] if listed else "").split(", ") if part
            )
        ]
        current = None
        if params:
            try:
                current = json.loads(params[1])
            except ValueError:
                current = None
        component = self.analyst.revise(
            asked[1] if asked else request,
            columns,
            int(rows[1]) if rows else 0,
            code[1] if code else "",
            current if isinstance(current, dict) else None,
        )
        return final_message(component.note, sql=None, code=component.code, params=component.params)

    # --- streaming -------------------------------------------------------------------------
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

    def _text(
        self, text: str, msg_id: str, run_manager: CallbackManagerForLLMRun | None
    ) -> Iterator[ChatGenerationChunk]:
        for piece in _pieces(text, self.chunk_chars):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece, id=msg_id))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


def _pieces(text: str, size: int) -> Iterator[str]:
    """`text` in consecutive pieces of at least `size` characters (the last may be shorter),
    each ending at a line break when there is one."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _content_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _questions(messages: Sequence[BaseMessage]) -> list[tuple[str, bool]]:
    """Each human question with whether it was answered: a question back or a refusal does not
    refine the next question."""
    out: list[tuple[str, bool]] = []
    for msg in messages:
        if isinstance(msg, HumanMessage):
            out.append((_content_text(msg), True))
        elif isinstance(msg, AIMessage) and out and not msg.tool_calls:
            text = _content_text(msg)
            if "```sql" not in text and "```tsx" not in text:
                out[-1] = (out[-1][0], False)
    return out


def _current_results(messages: Sequence[BaseMessage]) -> list[str]:
    """The `run_sql` results since the newest question."""
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    return [_content_text(m) for m in messages[start + 1 :] if isinstance(m, ToolMessage)]


def _row_count(tool_result: str) -> int | None:
    try:
        data = json.loads(tool_result)
    except ValueError:
        return None
    count = data.get("row_count") if isinstance(data, dict) else None
    return count if isinstance(count, int) else None


def engine_lookup(engine_name: str | None) -> LookupRunner:
    """The analyst's value look-ups, run on the engine's internal path (no guard: the statement
    is the analyst's own, bounded; never a run's SQL) under a short time limit."""
    from executors import registry
    from executors.engines.base import QueryLimits

    def run(sql: str) -> list[tuple[object, ...]]:
        import pyarrow.parquet as pq

        engine = registry.get_engine(engine_name)
        result = engine.run(
            sql,
            limits=QueryLimits(max_rows=100, timeout_s=10.0),
            tag=f"lookup-{uuid.uuid4().hex}",
        )
        table = result.table
        if table is None and result.parquet_path is not None:
            table = pq.read_table(result.parquet_path)
        if table is None:
            return []
        return [tuple(row.values()) for row in table.to_pylist()]

    return run

"""Drives one run of the agent: streams the model's reply through the fence parser (prose becomes
`thought`s, the tsx fence streams as `code` chunks), executes its tool calls, gives failed SQL back
for repair, and turns every failure into an `error` event with the stage it happened in. The run
worker owns the stream around it (the `run` event first, exactly one `done` last)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import ValidationError

from chat import conf
from chat.agent import prompts, tools
from chat.agent.fences import FenceParser
from chat.agent.tools import DataFetchFailure, ToolBox, data_ready_event
from chat.events import (
    ClarifyEvent,
    CodeChunkEvent,
    Control,
    ErrorCode,
    ErrorEvent,
    ParamsEvent,
    SseEvent,
    Stage,
    ThoughtEvent,
)
from executors.catalog.model import SemanticCatalog

if TYPE_CHECKING:
    from executors.services import StoredResult

logger = logging.getLogger(__name__)

Emit = Callable[[SseEvent], Coroutine[Any, Any, None]]
MAX_STEPS = 8
CHART_TYPES = {"bar", "line", "area", "pie", "scatter", "table", "kpi", "multiples"}


class RunFailed(Exception):
    def __init__(
        self,
        stage: Stage,
        message: str,
        code: ErrorCode | None = None,
        suggestions: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.stage: Stage = stage
        self.message = message
        self.code: ErrorCode | None = code
        self.suggestions = suggestions or None


@dataclass
class RunRequest:
    """Everything the runner needs, loaded from the database by the worker beforehand."""

    run_id: str
    kind: str
    prompt: str
    user: Any
    engine: str | None = None
    history: list[BaseMessage] = field(default_factory=list)
    carried: StoredResult | None = None
    carried_sql: str = ""
    input_data: StoredResult | None = None
    input_code: str = ""
    input_params: dict[str, Any] | None = None


@dataclass
class RunOutcome:
    sql: str = ""
    sql_engine: str = ""
    code: str = ""
    code_complete: bool = False
    params: dict[str, Any] | None = None
    data: StoredResult | None = None
    final_message: str = ""
    error: RunFailed | None = None
    clarify: ClarifyEvent | None = None

    @property
    def data_ready(self) -> bool:
        return self.data is not None


ModelFactory = Callable[[SemanticCatalog | None], BaseChatModel]


class AgentRunner:
    def __init__(
        self, model: BaseChatModel | ModelFactory, request: RunRequest, emit: Emit
    ) -> None:
        """`model` is the chat model, or a factory that builds it from the run's catalog (the
        offline analyst reads it), called once the catalog is read."""
        if isinstance(model, BaseChatModel):
            self.model: BaseChatModel = model
            self.model_for: ModelFactory | None = None
        else:
            self.model_for = model
        self.request = request
        self._emit = emit
        self.stage: Stage = "code_generation"
        self.outcome = RunOutcome()
        self.toolbox = ToolBox(user=request.user, run_tag=request.run_id, emit=self._emit_tool)
        self.toolbox.engine = request.engine

    async def run(self) -> RunOutcome:
        """Run to the end; failures become an `error` event (cancellation propagates)."""
        try:
            if self.request.kind == "chat":
                await self._analyse()
            else:
                await self._write_component()
        except RunFailed as failure:
            self.outcome.error = failure
            await self._emit(
                ErrorEvent(
                    message=failure.message,
                    stage=failure.stage,
                    code=failure.code,
                    suggestions=failure.suggestions,
                )
            )
        return self.outcome

    # --- chat: question → SQL → data → component ----------------------------------------------
    async def _analyse(self) -> None:
        request = self.request
        await self._emit(ThoughtEvent(content="Analyzing your request..."))
        try:
            catalog = await self.toolbox.read_catalog()
            engines = await sync_to_async(tools.engines)(self.toolbox.user)
            default = await sync_to_async(tools.default_engine, thread_sensitive=False)()
        except tools.EngineUnavailable as exc:
            raise RunFailed("data_fetch", exc.message) from exc
        except tools.ExecutorError as exc:
            raise RunFailed("sql_execution", exc.message) from exc
        if self.model_for is not None:
            self.model = await sync_to_async(self.model_for, thread_sensitive=False)(catalog)
        system = prompts.analyst_prompt(
            catalog, engines, request.engine or default, question=request.prompt
        )
        messages: list[BaseMessage] = [
            SystemMessage(system),
            *request.history,
            HumanMessage(request.prompt),
        ]
        toolset = self.toolbox.tools()
        by_name = {tool.name: tool for tool in toolset}
        bound = self.model.bind_tools(toolset)
        for _ in range(MAX_STEPS):
            reply, parser = await self._stream_reply(bound, messages)
            if not reply.tool_calls:
                await self._finish(parser)
                return
            messages.append(reply)
            for call in reply.tool_calls:
                messages.append(await self._call_tool(by_name, call))
            if len(self.toolbox.failures) > conf.max_sql_repairs():
                raise RunFailed("sql_execution", self.toolbox.failures[-1])
        raise RunFailed(
            "code_generation", f"The model did not finish its answer within {MAX_STEPS} steps."
        )

    async def _call_tool(self, by_name: dict[str, Any], call: Any) -> ToolMessage:
        name = call.get("name") or ""
        tool = by_name.get(name)
        if tool is None:
            content = f"ERROR: there is no tool called {name!r}."
        else:
            if name in ("run_sql", "submit_spark"):
                self.stage = "sql_execution"
            try:
                content = str(await tool.ainvoke(call.get("args") or {}))
            except DataFetchFailure as exc:
                raise RunFailed("data_fetch", exc.message) from exc
            except ValidationError as exc:
                content = f"ERROR: invalid arguments for {name}: {exc.errors()[0]['msg']}"
            finally:
                self.stage = "code_generation"
        return ToolMessage(content=content, tool_call_id=call.get("id") or name, name=name)

    async def _emit_tool(self, event: SseEvent) -> None:
        if event.event == "data":
            self.outcome.data = self.toolbox.results[-1] if self.toolbox.results else None
        await self._emit(event)

    # --- generate-ui and repair: existing data → component -----------------------------------
    async def _write_component(self) -> None:
        request = self.request
        data = request.input_data
        if data is None:
            raise RunFailed("data_fetch", "The data for this chart is no longer available.")
        self.outcome.data = data
        await self._emit(ThoughtEvent(content="Writing the component for the existing data..."))
        messages: list[BaseMessage] = [
            SystemMessage(prompts.ui_prompt()),
            HumanMessage(
                prompts.ui_request(
                    request.prompt,
                    data.columns,
                    data.preview,
                    data.row_count,
                    request.input_code,
                    request.input_params,
                )
            ),
        ]
        if self.model_for is not None:
            self.model = await sync_to_async(self.model_for, thread_sensitive=False)(None)
        _, parser = await self._stream_reply(self.model, messages)
        await self._finish(parser)

    # --- the model's reply ----------------------------------------------------------------------
    async def _stream_reply(
        self, model: Any, messages: list[BaseMessage]
    ) -> tuple[AIMessage, FenceParser]:
        parser = FenceParser()
        reply: AIMessageChunk | None = None
        try:
            async for chunk in model.astream(messages):
                if not isinstance(chunk, AIMessageChunk):
                    continue
                reply = chunk if reply is None else reply + chunk
                text = message_text(chunk.content)
                if text:
                    for kind, piece in parser.feed(text):
                        await self._piece(kind, piece)
        except (RunFailed, DataFetchFailure):
            raise
        except Exception as exc:
            logger.warning("model call failed in run %s: %r", self.request.run_id, exc)
            raise RunFailed("code_generation", provider_error_message(exc)) from exc
        for kind, piece in parser.close():
            await self._piece(kind, piece)
        if reply is None:
            raise RunFailed("code_generation", "The model returned an empty answer.")
        return AIMessage(content=reply.content, tool_calls=reply.tool_calls, id=reply.id), parser

    async def _piece(self, kind: str, piece: str) -> None:
        if kind == "thought":
            await self._emit(ThoughtEvent(content=piece))
            return
        if self.outcome.data is None and self.request.kind == "chat" and self.request.carried:
            # A follow-up that only restyles the chart reuses the previous run's data.
            self.outcome.data = self.request.carried
            self.outcome.sql = self.request.carried_sql
            await self._emit(data_ready_event(self.request.carried))
        await self._emit(CodeChunkEvent(content=piece))

    async def _finish(self, parser: FenceParser) -> None:
        parsed = parser.result
        outcome = self.outcome
        outcome.final_message = parsed.text
        if self.toolbox.last_sql:
            outcome.sql, outcome.sql_engine = self.toolbox.last_sql, self.toolbox.last_engine
        elif parsed.sql and not outcome.sql:
            outcome.sql = parsed.sql
        if parsed.clarify is not None and not parsed.code.strip():
            # A question back ends the run without data: the user's pick is the next question.
            outcome.clarify = ClarifyEvent(
                question=str(parsed.clarify["question"]),
                options=[str(o) for o in parsed.clarify.get("options") or []][:6],
            )
            outcome.data = None
            await self._emit(outcome.clarify)
            return
        if not parsed.code.strip():
            text = strip_fences(parsed.text)
            if self.toolbox.failures and outcome.data is None:
                raise RunFailed("sql_execution", self.toolbox.failures[-1])
            if text:
                # The model explained why it does not answer: a refusal, not a failure.
                raise RunFailed(
                    "code_generation", text, code="declined", suggestions=parsed.suggestions
                )
            raise RunFailed("code_generation", "The model did not write a component.")
        outcome.code = parsed.code
        if "export default" not in parsed.code:
            raise RunFailed(
                "code_generation",
                "The generated component has no `export default function Viz`.",
            )
        outcome.code_complete = parsed.code_complete
        params = complete_parameters(parsed.params, self.request.prompt, self.request.input_params)
        outcome.params = {k: v for k, v in params.payload().items() if k != "type"}
        await self._emit(params)


def message_text(content: Any) -> str:
    """Text of a message chunk whether the provider sends a string or content blocks."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def strip_fences(text: str) -> str:
    return re.sub(r"```.*?(```|$)", "", text, flags=re.DOTALL).strip()


def provider_error_message(exc: Exception) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if len(detail) > 300:
        detail = detail[:300] + "..."
    return f"The language model failed: {detail}"


def complete_parameters(
    raw: dict[str, Any] | None, prompt: str, previous: dict[str, Any] | None = None
) -> ParamsEvent:
    """The params event: the model's values and controls, with the contract's defaults filled."""
    raw = dict(raw or {})
    if "values" not in raw and "controls" not in raw:
        raw = {"values": raw}
    base = dict((previous or {}).get("values") or {})
    values = {**base, **dict(raw.get("values") or {})}
    title = str(values.get("title") or "").strip()
    values["title"] = title or _title_from(prompt)
    chart_type = str(values.get("chart_type") or "").strip().lower()
    values["chart_type"] = chart_type if chart_type else "table"
    values["color_scheme"] = str(values.get("color_scheme") or "default")
    controls: list[Control] = []
    source = raw.get("controls")
    if source is None and previous:
        source = previous.get("controls")
    for item in source or []:
        try:
            controls.append(Control.model_validate(item))
        except ValidationError:
            logger.info("dropping an invalid parameter control: %r", item)
    return ParamsEvent(values=values, controls=controls)


def _title_from(prompt: str) -> str:
    text = " ".join(prompt.split())
    return text if len(text) <= 80 else text[:77] + "..."

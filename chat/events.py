"""The SSE contract of a run (docs/sse.md): one Pydantic model per event, each serialised by the
one `to_sse()` below. Nothing else in the code base formats SSE."""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from executors.schemas import ResultColumn

Stage = Literal["sql_execution", "code_generation", "data_fetch"]
ChartType = str
ControlKind = Literal["text", "select", "number", "slider", "switch", "color_scheme"]


class SseEvent(BaseModel):
    """Base of every event: `event` is the SSE event name, `type` the payload's discriminator."""

    model_config = ConfigDict(extra="forbid")
    event: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def to_sse(self, event_id: str | None = None) -> str:
        """The event as SSE lines: `id:` (when given), `event:`, one `data:` line of JSON."""
        lines = []
        if event_id is not None:
            lines.append(f"id: {event_id}")
        lines.append(f"event: {self.event}")
        lines.append("data: " + json.dumps(self.payload(), separators=(",", ":")))
        return "\n".join(lines) + "\n\n"


class RunStartedEvent(SseEvent):
    """First event of every stream: which run and conversation it belongs to."""

    event: ClassVar[str] = "run"
    type: Literal["run"] = "run"
    run_id: str
    conversation_id: str


class ThoughtEvent(SseEvent):
    event: ClassVar[str] = "thought"
    type: Literal["thinking"] = "thinking"
    content: str


class SqlEvent(SseEvent):
    event: ClassVar[str] = "sql"
    type: Literal["sql"] = "sql"
    engine: str
    sql: str


class CodeChunkEvent(SseEvent):
    event: ClassVar[str] = "code"
    type: Literal["code_chunk"] = "code_chunk"
    language: Literal["tsx"] = "tsx"
    content: str


class DataReadyEvent(SseEvent):
    """The result is stored at `url`; `truncated` when the engine's row or byte limit cut it
    (then `row_count` rows are kept and the query had more). `columns` says what each column is
    and how its values read (docs/sse.md, "Result columns")."""

    event: ClassVar[str] = "data"
    type: Literal["data_ready"] = "data_ready"
    url: str
    size: Literal["small", "large"]
    format: Literal["json", "parquet"]
    row_count: int | None = None
    truncated: bool = False
    columns: list[ResultColumn] = Field(default_factory=list)


class Control(BaseModel):
    """One parameter control the portal renders next to the chart."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: ControlKind
    label: str
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None


class ParamsEvent(SseEvent):
    event: ClassVar[str] = "params"
    type: Literal["parameters"] = "parameters"
    values: dict[str, Any]
    controls: list[Control] = Field(default_factory=list)


class ProgressEvent(SseEvent):
    """How far a long step has come. `position` is set while the run (or its statement) waits
    for its turn: its place in the line, 1 being next; 0 once it has started."""

    event: ClassVar[str] = "progress"
    type: Literal["progress"] = "progress"
    stage: str
    done: int
    total: int
    position: int | None = None


ErrorCode = Literal["declined"]


class ErrorEvent(SseEvent):
    """The run failed or was refused; `code` "declined" when the model chose not to answer (it
    says why and what it can answer instead), absent for failures."""

    event: ClassVar[str] = "error"
    type: Literal["error"] = "error"
    message: str
    stage: Stage
    code: ErrorCode | None = None
    suggestions: list[str] | None = None
    """With a decline: questions the model can answer instead, each complete (sent as asked)."""


class ClarifyEvent(SseEvent):
    """The question reads two ways (or names something the data does not have): the model asks
    which one is meant. Each option is a complete question to send as the follow-up."""

    event: ClassVar[str] = "clarify"
    type: Literal["clarify"] = "clarify"
    question: str
    options: list[str]


class CompleteEvent(SseEvent):
    """The last event of every stream, exactly once."""

    event: ClassVar[str] = "done"
    type: Literal["complete"] = "complete"
    code_complete: bool
    data_ready: bool


AnyEvent = Annotated[
    RunStartedEvent
    | ThoughtEvent
    | SqlEvent
    | CodeChunkEvent
    | DataReadyEvent
    | ParamsEvent
    | ProgressEvent
    | ErrorEvent
    | ClarifyEvent
    | CompleteEvent,
    Field(discriminator="type"),
]
EVENT_CLASSES: dict[str, type[SseEvent]] = {
    cls.event: cls
    for cls in (
        RunStartedEvent,
        ThoughtEvent,
        SqlEvent,
        CodeChunkEvent,
        DataReadyEvent,
        ParamsEvent,
        ProgressEvent,
        ErrorEvent,
        ClarifyEvent,
        CompleteEvent,
    )
}
_any_event: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def parse_event(event: str, data: dict[str, Any]) -> SseEvent:
    """Rebuild an event from its SSE name and payload; raises unless they match the contract."""
    cls = EVENT_CLASSES.get(event)
    if cls is None:
        raise ValueError(f"unknown event {event!r}")
    return cls.model_validate(data)


def validate_payload(data: dict[str, Any]) -> SseEvent:
    """Validate a payload by its `type` alone."""
    result: SseEvent = _any_event.validate_python(data)
    return result

"""Request and response bodies of the chat endpoints (the stream's events are in chat/events.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema

from core.schemas import BodyIn


class ChatIn(BodyIn):
    prompt: str = Field(min_length=1, max_length=4000)
    conversation_id: uuid.UUID | None = None
    engine: str | None = Field(default=None, max_length=64)
    template_id: uuid.UUID | None = None


class SuggestionsOut(Schema):
    """Questions the built-in analyst answers on `engine`'s data, made from its catalog."""

    engine: str
    questions: list[str]


class GenerateUiIn(BodyIn):
    prompt: str = Field(min_length=1, max_length=4000)
    result_id: uuid.UUID
    current_code: str | None = Field(default=None, max_length=200_000)
    params: dict[str, Any] | None = None


class FeedbackIn(BodyIn):
    render_error: str = Field(min_length=1, max_length=20_000)


class CancelOut(Schema):
    run_id: uuid.UUID
    status: str


class RunError(Schema):
    stage: str
    message: str


class RunOut(Schema):
    """A run as its owner sees it; validated from a `chat.models.Run`."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    kind: str
    status: str
    prompt: str
    engine: str
    generated_sql: str
    ui_code: str
    parameters: dict[str, Any] | None
    result_id: str | None
    data_url: str | None
    source_run_id: uuid.UUID | None
    error: RunError | None
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_engine(run: Any) -> str:
        # The engine the SQL ran on, else the one the run asked for.
        return str(run.sql_engine or run.engine)

    @staticmethod
    def resolve_result_id(run: Any) -> str | None:
        return run.result_id or None

    @staticmethod
    def resolve_data_url(run: Any) -> str | None:
        return run.data_url or None

    @staticmethod
    def resolve_error(run: Any) -> RunError | None:
        if not run.error_stage:
            return None
        return RunError(stage=run.error_stage, message=run.error_message)


class ConversationOut(Schema):
    """A conversation; validated from a `chat.models.Conversation` annotated with `run_count`."""

    id: uuid.UUID
    title: str
    template_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    run_count: int

    @staticmethod
    def resolve_template_id(conversation: Any) -> str | None:
        return conversation.template_id or None


class ConversationDetailOut(ConversationOut):
    runs: list[RunOut]

    @staticmethod
    def resolve_runs(conversation: Any) -> list[Any]:
        return list(conversation.runs.order_by("created_at"))

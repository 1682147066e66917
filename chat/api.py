"""HTTP endpoints of the chat app, mounted under /api/ by vizorch_site.api. The streaming views
start or attach to a run and return its SSE stream; the run itself executes in a run worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Header, Router

from chat import consumers, services
from chat.models import Conversation, Run
from chat.schemas import (
    CancelOut,
    ChatIn,
    ConversationDetailOut,
    ConversationOut,
    FeedbackIn,
    GenerateUiIn,
    RunError,
    RunOut,
)
from chat.streaming import parse_last_event_id, stream_run
from core.errors import Conflict, Forbidden, Refused
from core.roles import ANALYST, CURATOR, roles_of
from core.schemas import ErrorOut

router = Router(tags=["chat"])

STREAM_RESPONSES: dict[int | str, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def sse_response(body: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


CHAT_ROLES = {ANALYST, CURATOR}


def _may_chat(user: Any) -> None:
    """Analysts (and curators) chat; viewers open templates and change parameters only."""
    if not CHAT_ROLES & set(roles_of(user)):
        raise Forbidden("Only analysts and curators can ask questions.")


def _check_engine(engine: str | None) -> None:
    if not engine:
        return
    from executors import registry

    names = registry.engine_names()
    if engine not in names:
        raise Refused(
            f"There is no engine called {engine!r}; configured: {', '.join(names)}.",
            code="unknown_engine",
        )


async def _start(run: Run) -> StreamingHttpResponse:
    await consumers.submit_run(run.id)
    return sse_response(stream_run(run.id))


@router.post("/chat", response=STREAM_RESPONSES, openapi_extra=None)
async def chat(request: HttpRequest, payload: ChatIn) -> StreamingHttpResponse:
    """Ask a question (or follow one up) and stream the run that answers it as SSE."""
    await sync_to_async(_may_chat)(request.auth)  # type: ignore[attr-defined]
    await sync_to_async(_check_engine)(payload.engine)
    run = await sync_to_async(services.start_chat_run)(
        request.auth,  # type: ignore[attr-defined]
        payload.prompt,
        conversation_id=payload.conversation_id,
        engine=payload.engine,
        template_id=payload.template_id,
    )
    return await _start(run)


@router.post("/generate-ui", response=STREAM_RESPONSES)
async def generate_ui(request: HttpRequest, payload: GenerateUiIn) -> StreamingHttpResponse:
    """Stream a new or revised component for data that already exists, without running SQL."""
    await sync_to_async(_may_chat)(request.auth)  # type: ignore[attr-defined]
    run = await sync_to_async(services.start_ui_run)(
        request.auth,  # type: ignore[attr-defined]
        payload.prompt,
        result_id=payload.result_id,
        current_code=payload.current_code or "",
        params=payload.params,
    )
    return await _start(run)


@router.get("/runs/{run_id}/events", response=STREAM_RESPONSES)
async def run_events(
    request: HttpRequest,
    run_id: uuid.UUID,
    last_event_id: str | None = None,
    last_event_id_header: str | None = Header(default=None, alias="Last-Event-ID"),
) -> StreamingHttpResponse:
    """Attach to a run's stream: replays what came after Last-Event-ID, then continues live."""
    run = await sync_to_async(services.run_for)(request.auth, run_id)  # type: ignore[attr-defined]
    after = parse_last_event_id(last_event_id_header or last_event_id, run.id)
    if not run.is_finished:
        consumers.ensure_embedded_worker()
    return sse_response(stream_run(run.id, after))


@router.post("/runs/{run_id}/cancel", response={202: CancelOut, 401: ErrorOut, 404: ErrorOut})
async def cancel_run(request: HttpRequest, run_id: uuid.UUID) -> tuple[int, CancelOut]:
    """Stop a run (and its query); its stream ends with `error` and `done`."""
    run = await sync_to_async(services.run_for)(request.auth, run_id)  # type: ignore[attr-defined]
    if not run.is_finished:
        await consumers.cancel_run(run.id)
        run = await sync_to_async(services.run_for)(request.auth, run_id)  # type: ignore[attr-defined]
    return 202, CancelOut(run_id=run.id, status=run.status)


@router.post("/runs/{run_id}/feedback", response=STREAM_RESPONSES)
async def feedback(
    request: HttpRequest, run_id: uuid.UUID, payload: FeedbackIn
) -> StreamingHttpResponse:
    """Report that a run's component failed in the sandbox; streams the agent's one repair."""
    await sync_to_async(_may_chat)(request.auth)  # type: ignore[attr-defined]
    try:
        run = await sync_to_async(services.start_repair_run)(
            request.auth,  # type: ignore[attr-defined]
            run_id,
            payload.render_error,
        )
    except services.RepairRefused as exc:
        raise Conflict(str(exc), code="repair_refused") from exc
    return await _start(run)


@router.get("/runs/{run_id}", response={200: RunOut, 401: ErrorOut, 404: ErrorOut})
def get_run(request: HttpRequest, run_id: uuid.UUID) -> RunOut:
    """One run: its prompt, SQL, code, parameters, result and how it ended."""
    return run_out(services.run_for(request.auth, run_id))  # type: ignore[attr-defined]


@router.get("/conversations", response={200: list[ConversationOut], 401: ErrorOut})
def list_conversations(request: HttpRequest) -> list[ConversationOut]:
    """Your conversations, most recent first."""
    from django.db.models import Count

    user = request.auth  # type: ignore[attr-defined]
    rows = Conversation.objects.filter(user=user).annotate(run_count=Count("runs"))
    return [conversation_out(row, row.run_count) for row in rows[:200]]


@router.get(
    "/conversations/{conversation_id}",
    response={200: ConversationDetailOut, 401: ErrorOut, 404: ErrorOut},
)
def get_conversation(request: HttpRequest, conversation_id: uuid.UUID) -> ConversationDetailOut:
    """One conversation with each run's prompt, SQL, code, parameters and result id."""
    conversation = services.conversation_for(request.auth, conversation_id)  # type: ignore[attr-defined]
    runs = list(conversation.runs.order_by("created_at"))
    base = conversation_out(conversation, len(runs))
    return ConversationDetailOut(**base.model_dump(), runs=[run_out(run) for run in runs])


def conversation_out(conversation: Conversation, run_count: int) -> ConversationOut:
    return ConversationOut(
        id=conversation.id,
        title=conversation.title,
        template_id=conversation.template_id or None,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        run_count=run_count,
    )


def run_out(run: Run) -> RunOut:
    return RunOut(
        id=run.id,
        conversation_id=run.conversation_id,
        kind=run.kind,
        status=run.status,
        prompt=run.prompt,
        engine=run.sql_engine or run.engine,
        generated_sql=run.generated_sql,
        ui_code=run.ui_code,
        parameters=run.parameters,
        result_id=run.result_id or None,
        data_url=run.data_url or None,
        source_run_id=run.source_run_id,
        error=RunError(stage=run.error_stage, message=run.error_message)
        if run.error_stage
        else None,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )

"""HTTP endpoints of the chat app, mounted under /api/ by vizorch_site.api. The streaming views
start or attach to a run and return its SSE stream; the run itself executes in a run worker."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Header, Router

from chat import consumers, selectors, services
from chat.events import EVENT_CLASSES
from chat.models import Conversation, Run
from chat.schemas import (
    CancelOut,
    ChatIn,
    ConversationDetailOut,
    ConversationOut,
    FeedbackIn,
    GenerateUiIn,
    RunOut,
    SuggestionsOut,
)
from chat.streaming import event_id, parse_last_event_id, stream_run
from core.db import released
from core.schemas import ErrorOut

router = Router(tags=["chat"])

# The operations that answer with a run's stream, by their path under the API's root: their
# requests run on the shared database lanes (vizorch_site/handler.py).
STREAM_PATHS = re.compile(r"^(chat|generate-ui|runs/[^/]+/(events|feedback))/?$")

STREAM_RESPONSES: dict[int | str, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


# The streaming operations answer 200 with Server-Sent Events (docs/sse.md), not JSON: each
# event has an id (`<run-id>:<seq>`), a name and a JSON payload in `data`.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f-]{36}:[0-9]+$"},
        "event": {"type": "string", "enum": sorted(EVENT_CLASSES)},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "required": ["id", "event", "data"],
}
SSE_OPENAPI: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "The run's events as Server-Sent Events (see docs/sse.md).",
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        }
    }
}


def sse_response(body: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# The streaming views are synchronous: they run in the request's database lane with the
# middleware, in one thread hop (vizorch_site/handler.py), and return an asynchronous stream the
# event loop sends. An async view would hold its lane while it waits for the event loop, which is
# at its busiest when a burst of streams arrives.


def _start(run: Run) -> StreamingHttpResponse:
    """The stream of a run just created (by a `released` call: the request's connection went
    back as it was made, a stream holds none): its `run` frame comes from the run at hand, so
    the first event costs no read of the log."""
    first = services.started_event(run).to_sse(event_id(run.id, 1))
    return sse_response(_submitted_once_begun(run.id, stream_run(run.id, after=1, first=first)))


# Any delay above zero: `asyncio.sleep(0)` only yields, and would run before the poll.
_SHORTEST_TIMER_S = 1e-6


async def _after_the_next_poll() -> None:
    """Returns once the event loop has polled its sockets. A frame the stream has yielded is
    then in the web server's buffer for its connection, and Twisted sends it when the loop
    finds the socket writable; the loop handles its sockets' events before its due timers, so
    the shortest timer wakes this after that send. Started before it, the in-process worker's
    first steps for the run (threads that take the interpreter lock for up to its 5 ms switch
    interval) held the frame back: first event p50 1.54-1.58x a `GET /api/me`, 1.29-1.31x after."""
    await asyncio.sleep(_SHORTEST_TIMER_S)


async def _submitted_once_begun(
    run_id: uuid.UUID, frames: AsyncIterator[str]
) -> AsyncIterator[str]:
    """The run goes to its worker once its first frame is on its way to the client: with the
    worker in this process, the run's own work would otherwise hold that frame back. A client
    gone before then still has its run started (it is cancelled if nobody listens)."""
    submitted = False
    try:
        async for frame in frames:
            yield frame
            if not submitted:
                submitted = True
                await _after_the_next_poll()
                await consumers.submit_run(run_id)
    finally:
        if not submitted:
            await consumers.submit_run(run_id)


@router.post("/chat", response=STREAM_RESPONSES, openapi_extra=SSE_OPENAPI)
def chat(request: HttpRequest, payload: ChatIn) -> StreamingHttpResponse:
    """Ask a question (or follow one up) and stream the run that answers it as SSE."""
    run = released(services.ask)(
        request.auth,  # type: ignore[attr-defined]
        payload.prompt,
        conversation_id=payload.conversation_id,
        engine=payload.engine,
        template_id=payload.template_id,
    )
    return _start(run)


@router.get(
    "/suggestions", response={200: SuggestionsOut, 401: ErrorOut, 404: ErrorOut, 503: ErrorOut}
)
async def suggestions(
    request: HttpRequest, engine: str | None = None, limit: int = selectors.DEFAULT_SUGGESTIONS
) -> SuggestionsOut:
    """Questions to start from on an engine's data (your default engine without `engine=`)."""
    return await sync_to_async(selectors.suggestions_out)(
        request.auth,  # type: ignore[attr-defined]
        engine,
        limit,
    )


@router.post("/generate-ui", response=STREAM_RESPONSES, openapi_extra=SSE_OPENAPI)
def generate_ui(request: HttpRequest, payload: GenerateUiIn) -> StreamingHttpResponse:
    """Stream a new or revised component for data that already exists, without running SQL."""
    run = released(services.start_ui_run)(
        request.auth,  # type: ignore[attr-defined]
        payload.prompt,
        result_id=str(payload.result_id),
        current_code=payload.current_code or "",
        params=payload.params,
    )
    return _start(run)


@router.get("/runs/{run_id}/events", response=STREAM_RESPONSES, openapi_extra=SSE_OPENAPI)
def run_events(
    request: HttpRequest,
    run_id: uuid.UUID,
    last_event_id: str | None = None,
    last_event_id_header: str | None = Header(default=None, alias="Last-Event-ID"),
) -> StreamingHttpResponse:
    """Attach to a run's stream: replays what came after Last-Event-ID, then continues live."""
    run = released(services.run_for)(request.auth, run_id)  # type: ignore[attr-defined]
    after = parse_last_event_id(last_event_id_header or last_event_id, run.id)
    return sse_response(_attached(run, after))


async def _attached(run: Run, after: int) -> AsyncIterator[str]:
    """A stream attached to a run: an unfinished one needs the embedded worker (when it is the
    process's own) running in this event loop."""
    if not run.is_finished:
        consumers.ensure_embedded_worker()
    async for frame in stream_run(run.id, after):
        yield frame


@router.post("/runs/{run_id}/cancel", response={202: CancelOut, 401: ErrorOut, 404: ErrorOut})
async def cancel_run(request: HttpRequest, run_id: uuid.UUID) -> tuple[int, CancelOut]:
    """Stop a run (and its query); its stream ends with `error` and `done`."""
    run = await sync_to_async(services.run_for)(request.auth, run_id)  # type: ignore[attr-defined]
    if not run.is_finished:
        await consumers.cancel_run(run.id)
        run = await sync_to_async(services.run_for)(request.auth, run_id)  # type: ignore[attr-defined]
    return 202, CancelOut(run_id=run.id, status=run.status)


@router.post("/runs/{run_id}/feedback", response=STREAM_RESPONSES, openapi_extra=SSE_OPENAPI)
def feedback(request: HttpRequest, run_id: uuid.UUID, payload: FeedbackIn) -> StreamingHttpResponse:
    """Report that a run's component failed in the sandbox; streams the agent's one repair."""
    run = released(services.start_repair_run)(
        request.auth,  # type: ignore[attr-defined]
        run_id,
        payload.render_error,
    )
    return _start(run)


@router.get("/runs/{run_id}", response={200: RunOut, 401: ErrorOut, 404: ErrorOut})
def get_run(request: HttpRequest, run_id: uuid.UUID) -> Run:
    """One run: its prompt, SQL, code, parameters, result and how it ended."""
    return services.run_for(request.auth, run_id)  # type: ignore[attr-defined]


@router.get("/conversations", response={200: list[ConversationOut], 401: ErrorOut})
def list_conversations(request: HttpRequest) -> list[Conversation]:
    """Your conversations, most recent first."""
    return services.conversations_of(request.auth)  # type: ignore[attr-defined]


@router.get(
    "/conversations/{conversation_id}",
    response={200: ConversationDetailOut, 401: ErrorOut, 404: ErrorOut},
)
def get_conversation(request: HttpRequest, conversation_id: uuid.UUID) -> Conversation:
    """One conversation with each run's prompt, SQL, code, parameters and result id."""
    return services.conversation_detail(request.auth, conversation_id)  # type: ignore[attr-defined]

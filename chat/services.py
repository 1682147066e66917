"""Database side of chat: starting runs, the durable event log, conversation history for
follow-ups, and recording how a run ended. Synchronous; async callers wrap these in
`sync_to_async` (`database_sync_to_async` in the worker)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from chat import permissions
from chat.agent.runner import RunOutcome, RunRequest
from chat.agent.tools import load_result
from chat.conf import runs_channel
from chat.events import CompleteEvent, ErrorEvent, RunStartedEvent, SseEvent
from chat.models import Conversation, Run, RunEvent
from core.errors import Conflict, NotFound, Refused
from core.writes import Insert, Update, Write, write_together
from executors import access, registry
from executors.errors import ResultNotFound, UnknownEngine

if TYPE_CHECKING:
    from executors.services import StoredResult

TITLE_LENGTH = 80


def _title(prompt: str) -> str:
    text = " ".join(prompt.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 3] + "..."


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("No such run.") from None


def conversation_for(user: Any, conversation_id: Any) -> Conversation:
    conversation = Conversation.objects.filter(id=_as_uuid(conversation_id), user=user).first()
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def run_for(user: Any, run_id: Any) -> Run:
    run = Run.objects.filter(id=_as_uuid(run_id), user=user).first()
    if run is None:
        raise NotFound("No such run.")
    return run


def conversations_of(user: Any, limit: int = 200) -> list[Conversation]:
    """The user's conversations, most recent first, each with its `run_count`."""
    rows = Conversation.objects.filter(user=user).annotate(run_count=Count("runs"))
    return list(rows[:limit])


def conversation_detail(user: Any, conversation_id: Any) -> Conversation:
    """One of the user's conversations, with its `run_count`."""
    conversation = (
        Conversation.objects.filter(id=_as_uuid(conversation_id), user=user)
        .annotate(run_count=Count("runs"))
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def template_for(user: Any, template_id: Any) -> Any:
    """A template the user may see, through templates_app's selectors."""
    from templates_app import selectors

    template = selectors.search_templates(user).filter(id=_as_uuid(template_id)).first()
    if template is None:
        raise NotFound("No such template.")
    return template


def _create_run(
    conversation: Conversation | None,
    user: Any,
    *,
    title: str = "",
    template_id: str = "",
    **fields: Any,
) -> Run:
    """The run, its conversation when it is a new one, and the run's first event (`run`), all or
    none and in one round trip on PostgreSQL (core/writes.py): a stream has its first frame before
    any worker has seen the run."""
    now = timezone.now()
    writes: list[Write] = []
    if conversation is None:
        conversation = Conversation(user=user, title=title, template_id=template_id)
        writes.append(Insert(conversation))
    else:
        writes.append(Update(Conversation.objects.filter(pk=conversation.pk), {"updated_at": now}))
    run = Run(conversation=conversation, user=user, listener_seen_at=now, **fields)
    first = RunEvent(run=run, seq=1, event=RunStartedEvent.event, data=started_event(run).payload())
    write_together([*writes, Insert(run), Insert(first)])
    return run


def started_event(run: Run) -> RunStartedEvent:
    return RunStartedEvent(run_id=str(run.id), conversation_id=str(run.conversation_id))


def start_chat_run(
    user: Any,
    prompt: str,
    *,
    conversation_id: Any = None,
    engine: str | None = None,
    template_id: Any = None,
) -> Run:
    fields: dict[str, Any] = {"kind": Run.Kind.CHAT, "prompt": prompt, "engine": engine or ""}
    if conversation_id:
        return _create_run(conversation_for(user, conversation_id), user, **fields)
    template = template_for(user, template_id) if template_id else None
    return _create_run(
        None,
        user,
        title=_title(template.title if template is not None else prompt),
        template_id=str(template.id) if template is not None else "",
        **fields,
    )


def check_engine(user: Any, engine: str | None) -> str | None:
    """An engine a run names must be one the user may use; a run naming none runs on the
    deployment's default, or on the user's first engine when the default is not open to them."""
    if not engine and access.can_use_engine(user, registry.default_engine_name()):
        return None
    try:
        return access.check_engine(user, engine)
    except UnknownEngine as exc:
        raise Refused(exc.message, code="unknown_engine") from None


def ask(
    user: Any,
    prompt: str,
    *,
    conversation_id: Any = None,
    engine: str | None = None,
    template_id: Any = None,
) -> Run:
    """A question from the portal or a script: a new chat run for a user who may chat."""
    permissions.check_can_chat(user)
    engine = check_engine(user, engine)
    return start_chat_run(
        user, prompt, conversation_id=conversation_id, engine=engine, template_id=template_id
    )


def start_ui_run(
    user: Any,
    prompt: str,
    *,
    result_id: str,
    current_code: str = "",
    params: dict[str, Any] | None = None,
) -> Run:
    permissions.check_can_chat(user)
    load_result(user, result_id)  # not found unless the user may read the data
    source = Run.objects.filter(user=user, result_id=str(result_id)).order_by("-created_at").first()
    return _create_run(
        source.conversation if source is not None else None,
        user,
        title=_title(prompt),
        kind=Run.Kind.GENERATE_UI,
        prompt=prompt,
        source_run=source,
        input_result_id=str(result_id),
        input_code=current_code,
        input_params=params,
        engine=source.sql_engine if source is not None else "",
    )


class RepairRefused(Conflict):
    code = "repair_refused"


def start_repair_run(user: Any, run_id: Any, render_error: str) -> Run:
    permissions.check_can_chat(user)
    run = run_for(user, run_id)
    if not run.is_finished or not run.ui_code:
        raise RepairRefused("This run has no finished component to repair.")
    if not (run.result_id or run.input_result_id):
        raise RepairRefused("This run has no data to render.")
    if run.kind == Run.Kind.REPAIR or run.derived_runs.filter(kind=Run.Kind.REPAIR).exists():
        raise RepairRefused("This component has had its one repair attempt already.")
    error = " ".join(render_error.split())[:2000]
    return _create_run(
        run.conversation,
        user,
        kind=Run.Kind.REPAIR,
        prompt=(
            "The component failed to compile or render in the sandbox with this error: "
            f"{error}\nFix the component; keep the chart and parameters otherwise unchanged."
        ),
        source_run=run,
        input_result_id=run.result_id or run.input_result_id,
        input_code=run.ui_code,
        input_params=run.parameters,
        engine=run.sql_engine,
    )


# --- the worker's side -----------------------------------------------------------------------


def claim_run(run_id: str, worker_id: str = "") -> int | None:
    """Mark a pending run as running; returns its last event seq, or None when it is not ours to
    run (already claimed, finished or cancelled, or held by another worker)."""
    now = timezone.now()
    pending = Run.objects.filter(id=run_id, status=Run.Status.PENDING)
    if worker_id:
        pending = pending.filter(worker_id__in=["", worker_id])
    claimed = pending.update(
        status=Run.Status.RUNNING,
        started_at=now,
        listener_seen_at=now,
        worker_seen_at=now,
        worker_id=worker_id,
    )
    if not claimed:
        return None
    return last_seq(run_id)


def last_seq(run_id: Any) -> int:
    value = RunEvent.objects.filter(run_id=run_id).aggregate(top=Max("seq"))["top"]
    return int(value or 0)


def append_event(run_id: Any, seq: int, event: SseEvent) -> None:
    append_events(run_id, seq, [event])


def append_events(run_id: Any, first_seq: int, events: list[SseEvent]) -> None:
    """Write events numbered from `first_seq` on, all or none (one transaction)."""
    rows = [
        RunEvent(run_id=run_id, seq=first_seq + offset, event=event.event, data=event.payload())
        for offset, event in enumerate(events)
    ]
    with transaction.atomic():
        RunEvent.objects.bulk_create(rows)


def hold_runs(run_ids: list[str], worker_id: str, stale_after_s: float) -> dict[str, int]:
    """This worker takes pending runs into its queue, except those a live worker holds already;
    returns the runs it now holds, each with its last event seq (three statements in all)."""
    stale = timezone.now() - dt.timedelta(seconds=stale_after_s)
    pending = Run.objects.filter(id__in=run_ids, status=Run.Status.PENDING)
    pending.filter(
        Q(worker_id="")
        | Q(worker_id=worker_id)
        | Q(worker_seen_at__isnull=True)
        | Q(worker_seen_at__lt=stale)
    ).update(worker_id=worker_id, worker_seen_at=timezone.now())
    held = [
        str(value) for value in pending.filter(worker_id=worker_id).values_list("id", flat=True)
    ]
    tops = (
        RunEvent.objects.filter(run_id__in=held)
        .values("run_id")
        .annotate(top=Max("seq"))
        .values_list("run_id", "top")
    )
    last = {str(run_id): int(top or 0) for run_id, top in tops}
    return {run_id: last.get(run_id, 0) for run_id in held}


def touch_held(run_ids: list[str], worker_id: str) -> set[str]:
    """Record that this worker still holds these queued runs; returns those still pending."""
    held = Run.objects.filter(id__in=run_ids, status=Run.Status.PENDING, worker_id=worker_id)
    held.update(worker_seen_at=timezone.now())
    return {str(value) for value in held.values_list("id", flat=True)}


def stale_runs(
    stale_after_s: float, limit: int = 20, *, unheld_after_s: float | None = None
) -> list[tuple[str, str]]:
    """Runs another worker should take: those a worker held, queued or driving them, and has
    not reported on for `stale_after_s` (it stopped); running runs a stopping worker released
    (handed over); and with `unheld_after_s`, queued runs nobody has held for that long (their
    start message was lost)."""
    now = timezone.now()
    silent = Q(worker_seen_at__lt=now - dt.timedelta(seconds=stale_after_s)) & ~Q(worker_id="")
    released = Q(status=Run.Status.RUNNING, worker_id="")
    wanted = silent | released
    if unheld_after_s is not None:
        wanted |= Q(
            status=Run.Status.PENDING,
            worker_id="",
            created_at__lt=now - dt.timedelta(seconds=unheld_after_s),
        )
    rows = (
        Run.objects.filter(
            wanted, status__in=[Run.Status.PENDING, Run.Status.RUNNING], cancel_requested=False
        )
        .order_by("created_at")
        .values_list("id", "status")[:limit]
    )
    return [(str(run_id), status) for run_id, status in rows]


def release_runs(run_ids: list[str], worker_id: str) -> list[str]:
    """A stopping worker lets go of runs it holds (queued, or running and not finished), so
    another worker takes them at once: nobody holds them, and they are not stale (a stream does
    not end them as abandoned). Returns the runs released."""
    held = Run.objects.filter(
        id__in=run_ids,
        worker_id=worker_id,
        status__in=[Run.Status.PENDING, Run.Status.RUNNING],
    )
    released = [str(value) for value in held.values_list("id", flat=True)]
    held.filter(id__in=released).update(worker_id="", worker_seen_at=timezone.now())
    return released


def unheld_runs(run_ids: list[str]) -> set[str]:
    """Those of these runs that nobody holds and that have not ended (released, not yet taken)."""
    unheld = Run.objects.filter(
        id__in=run_ids,
        worker_id="",
        status__in=[Run.Status.PENDING, Run.Status.RUNNING],
        cancel_requested=False,
    )
    return {str(value) for value in unheld.values_list("id", flat=True)}


def take_over(
    run_id: Any, worker_id: str, stale_after_s: float
) -> list[tuple[int, str, dict[str, Any]]] | None:
    """Take a running run over from a worker that went silent, or that released it as it
    stopped: returns its log so far (the run is driven again and what it says again is not
    logged twice), or None when it is not ours."""
    stale = timezone.now() - dt.timedelta(seconds=stale_after_s)
    taken = Run.objects.filter(
        Q(worker_seen_at__lt=stale) | Q(worker_id=""), id=run_id, status=Run.Status.RUNNING
    ).update(worker_id=worker_id, worker_seen_at=timezone.now())
    if not taken:
        return None
    return events_after(run_id, 0, limit=100_000)


def events_after(
    run_id: Any, after: int, limit: int = 1000
) -> list[tuple[int, str, dict[str, Any]]]:
    rows = RunEvent.objects.filter(run_id=run_id, seq__gt=after).order_by("seq")[:limit]
    return [(row.seq, row.event, row.data) for row in rows]


def has_ended(run_id: Any, seen: int) -> bool:
    """Whether the run's log ends (with `done`) at or before seq `seen`: a client that has seen
    that far has seen all of it."""
    return RunEvent.objects.filter(run_id=run_id, event=CompleteEvent.event, seq__lte=seen).exists()


def is_finished(run_id: Any) -> bool:
    return Run.objects.filter(id=run_id, finished_at__isnull=False).exists()


def touch_listener(run_id: Any) -> None:
    Run.objects.filter(id=run_id, status__in=[Run.Status.PENDING, Run.Status.RUNNING]).update(
        listener_seen_at=timezone.now()
    )


LOST = "lost"


def run_watch_state(
    run_id: Any, orphan_after_s: float, *, alive: bool = False, worker_id: str = ""
) -> str | None:
    """Why the worker should stop a running run now, or None. `alive` also records that the
    worker is still driving it; `LOST` when another worker has taken the run over."""
    if alive:
        runs = Run.objects.filter(id=run_id)
        if worker_id:
            runs = runs.filter(worker_id=worker_id)
        if not runs.update(worker_seen_at=timezone.now()) and worker_id:
            return LOST
    run = Run.objects.filter(id=run_id).only("cancel_requested", "listener_seen_at").first()
    if run is None or run.cancel_requested:
        return "The run was cancelled."
    seen = run.listener_seen_at
    if seen is not None and timezone.now() - seen > dt.timedelta(seconds=orphan_after_s):
        return "The run was cancelled because nobody was listening any more."
    return None


def request_cancel(run_id: Any) -> list[tuple[int, SseEvent]]:
    """Ask the worker to stop the run. A run no worker has picked up yet is ended here; the
    events written for it are returned so the caller can publish them."""
    Run.objects.filter(id=run_id).update(cancel_requested=True)
    return _end_pending(run_id, "The run was cancelled.", Run.Status.CANCELLED)


def expire_unclaimed(
    run_id: Any, after_s: float, *, hint: str | None = None
) -> list[tuple[int, SseEvent]]:
    """End a run no worker has picked up or held within `after_s` (no worker running)."""
    pending = Run.objects.filter(id=run_id, status=Run.Status.PENDING).values_list(
        "created_at", "worker_seen_at"
    )
    if not pending:
        return []
    created, held = pending[0]
    if timezone.now() - (held or created) < dt.timedelta(seconds=after_s):
        return []
    return _end_pending(
        run_id,
        hint
        or (
            "No run worker picked this run up. With REDIS_URL set, start one: "
            f"python manage.py runworker {runs_channel()}"
        ),
        Run.Status.FAILED,
    )


def expire_abandoned(run_id: Any, after_s: float) -> list[tuple[int, SseEvent]]:
    """End a running run whose worker has not been seen for `after_s` (it died)."""
    seen = Run.objects.filter(id=run_id, status=Run.Status.RUNNING).values_list(
        "worker_seen_at", flat=True
    )
    if not seen or seen[0] is None or timezone.now() - seen[0] < dt.timedelta(seconds=after_s):
        return []
    return _end_pending(
        run_id,
        "The run worker stopped before the run finished; ask again.",
        Run.Status.FAILED,
        from_status=Run.Status.RUNNING,
    )


def _end_pending(
    run_id: Any, message: str, status: str, *, from_status: str = Run.Status.PENDING
) -> list[tuple[int, SseEvent]]:
    for attempt in range(3):
        try:
            return _end_pending_once(run_id, message, status, from_status)
        except IntegrityError:
            # A worker wrote an event (a queued run's progress) in between: number after it.
            if attempt == 2:
                raise
    return []


def _end_pending_once(
    run_id: Any, message: str, status: str, from_status: str
) -> list[tuple[int, SseEvent]]:
    with transaction.atomic():
        ended = Run.objects.filter(id=run_id, status=from_status).update(
            status=status,
            finished_at=timezone.now(),
            error_stage="code_generation",
            error_message=message,
        )
        if not ended:
            return []
        seq = last_seq(run_id)
        events: list[tuple[int, SseEvent]] = [
            (seq + 1, ErrorEvent(message=message, stage="code_generation")),
            (seq + 2, CompleteEvent(code_complete=False, data_ready=False)),
        ]
        append_events(run_id, seq + 1, [event for _, event in events])
    return events


def _final_for_history(run: Run) -> str:
    """The assistant turn a follow-up sees: the model's final message, with the SQL fenced."""
    text = run.final_message.strip()
    sql = run.generated_sql.strip()
    if sql and "```sql" not in text:
        text = f"```sql\n{sql}\n```\n{text}"
    if run.ui_code and "```tsx" not in text:
        text += f"\n```tsx\n{run.ui_code.rstrip()}\n```"
    return text


def build_request(run_id: Any) -> RunRequest:
    run = Run.objects.select_related("conversation", "user", "source_run").get(id=run_id)
    request = RunRequest(
        run_id=str(run.id),
        kind=run.kind,
        prompt=run.prompt,
        user=run.user,
        engine=run.engine or None,
    )
    if run.kind != Run.Kind.CHAT:
        request.input_data = _readable(run.user, run.input_result_id)
        request.input_code = run.input_code
        request.input_params = run.input_params
        return request
    earlier = list(
        Run.objects.filter(
            conversation=run.conversation,
            created_at__lt=run.created_at,
            status=Run.Status.SUCCEEDED,
        ).order_by("created_at")
    )
    history: list[BaseMessage] = []
    template_id = run.conversation.template_id
    if template_id and not earlier:
        history.extend(_template_history(run.user, template_id, request))
    for previous in earlier:
        history.append(HumanMessage(previous.prompt))
        history.append(AIMessage(_final_for_history(previous)))
    request.history = history
    # A follow-up restyles the newest answer that has data (a question back has none).
    answered = [previous for previous in earlier if previous.result_id]
    if answered:
        latest = answered[-1]
        request.carried = _readable(run.user, latest.result_id)
        request.carried_sql = latest.generated_sql
        request.input_params = latest.parameters
    return request


def _template_history(user: Any, template_id: str, request: RunRequest) -> list[BaseMessage]:
    try:
        template = template_for(user, template_id)
    except NotFound:
        return []
    answer = "\n".join(
        [
            f"This is the saved template {template.title!r}.",
            f"```sql\n{template.generated_sql.strip()}\n```",
            f"```tsx\n{template.ui_code.rstrip()}\n```",
        ]
    )
    request.carried = _readable(user, getattr(template, "result_id", "") or "")
    request.carried_sql = template.generated_sql
    request.input_params = template.parameters or None
    engine = str(getattr(template, "engine", "") or "")
    if not request.engine and engine:
        request.engine = engine
    return [HumanMessage(template.prompt), AIMessage(answer)]


def _readable(user: Any, result_id: str) -> StoredResult | None:
    if not result_id:
        return None
    try:
        return load_result(user, result_id)
    except ResultNotFound:
        return None


def record_outcome(
    run_id: Any, outcome: RunOutcome | None, *, cancelled: str | None, error: ErrorEvent | None
) -> None:
    """Store how the run ended: its artifact for history and templates, or why it failed."""
    run = Run.objects.get(id=run_id)
    run.finished_at = timezone.now()
    if outcome is not None:
        # PostgreSQL's text columns cannot hold NUL characters; a model may write one.
        run.generated_sql = _text(
            outcome.sql or (run.source_run.generated_sql if run.source_run else "")
        )
        run.sql_engine = outcome.sql_engine or run.engine
        run.ui_code = _text(outcome.code)
        run.parameters = outcome.params
        run.final_message = _text(outcome.final_message)
        if outcome.data is not None:
            run.result_id = outcome.data.id
            run.data_url = outcome.data.url
    if cancelled:
        run.status = Run.Status.CANCELLED
    elif error is not None:
        run.status = Run.Status.FAILED
    else:
        run.status = Run.Status.SUCCEEDED
    if error is not None:
        run.error_stage, run.error_message = error.stage, _text(error.message)
    run.save()
    Conversation.objects.filter(pk=run.conversation_id).update(updated_at=timezone.now())


def finish_run(
    run_id: Any,
    outcome: RunOutcome | None,
    first_seq: int,
    events: list[SseEvent],
    *,
    cancelled: str | None,
    error: ErrorEvent | None,
) -> None:
    """The run's outcome and its last events (`done`), in one transaction."""
    with transaction.atomic():
        record_outcome(run_id, outcome, cancelled=cancelled, error=error)
        append_events(run_id, first_seq, events)


def _text(value: str) -> str:
    return value.replace("\x00", "")


def run_source(run_id: uuid.UUID, user: Any) -> dict[str, Any] | None:
    """For templates_app: the finished run's artifact when it is the user's own."""
    run = Run.objects.filter(id=run_id, user=user, status=Run.Status.SUCCEEDED).first()
    if run is None or not getattr(user, "is_authenticated", False):
        return None
    return {
        "prompt": run.prompt if run.kind == Run.Kind.CHAT else _chat_prompt(run),
        "generated_sql": run.generated_sql,
        "ui_code": run.ui_code,
        "parameters": run.parameters or {},
        "engine": run.sql_engine or run.engine,
        "result_id": run.result_id or None,
        "conversation_id": run.conversation_id,
    }


def _chat_prompt(run: Run) -> str:
    """The question behind a generate-ui or repair run is the chat prompt it started from."""
    source = run.source_run
    while source is not None and source.kind != Run.Kind.CHAT:
        source = source.source_run
    return source.prompt if source is not None else run.prompt

"""Run bookkeeping in the database: cancelling and expiring runs no worker has picked up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import services
from chat.events import CompleteEvent
from chat.models import Conversation, Run, RunEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_run() -> Run:
    user = get_user_model().objects.create_user("lifecycle", password="x")
    return services.start_chat_run(user, "Show total sales by region")


def test_a_new_run_logs_its_run_event_first(pending_run: Run) -> None:
    (event,) = RunEvent.objects.filter(run=pending_run)
    assert (event.seq, event.event) == (1, "run")
    assert event.data == {
        "type": "run",
        "run_id": str(pending_run.id),
        "conversation_id": str(pending_run.conversation_id),
    }


def test_cancelling_an_unclaimed_run_ends_it_with_error_and_done(pending_run: Run) -> None:
    events = services.request_cancel(pending_run.id)
    assert [(seq, e.event) for seq, e in events] == [(2, "error"), (3, "done")]
    pending_run.refresh_from_db()
    assert pending_run.status == Run.Status.CANCELLED
    # A worker that receives the run later leaves it alone.
    assert services.claim_run(str(pending_run.id)) is None
    assert services.request_cancel(pending_run.id) == []


def test_an_unclaimed_run_expires_with_a_message_naming_the_worker(pending_run: Run) -> None:
    assert services.expire_unclaimed(pending_run.id, after_s=60) == []
    Run.objects.filter(id=pending_run.id).update(
        created_at=timezone.now() - dt.timedelta(seconds=120)
    )
    events = services.expire_unclaimed(pending_run.id, after_s=60)
    assert [e.event for _, e in events] == ["error", "done"]
    assert "runworker" in events[0][1].payload()["message"]
    pending_run.refresh_from_db()
    assert pending_run.status == Run.Status.FAILED


def test_a_claimed_run_cannot_be_claimed_twice(pending_run: Run) -> None:
    assert services.claim_run(str(pending_run.id)) == 1
    assert services.claim_run(str(pending_run.id)) is None
    assert services.expire_unclaimed(pending_run.id, after_s=0) == []


def test_a_run_whose_worker_went_silent_is_ended(pending_run: Run) -> None:
    services.claim_run(str(pending_run.id))
    assert services.expire_abandoned(pending_run.id, after_s=60) == []
    # The worker's watchdog reports it alive...
    assert services.run_watch_state(pending_run.id, orphan_after_s=60, alive=True) is None
    assert services.expire_abandoned(pending_run.id, after_s=60) == []
    # ...until it stops doing so.
    Run.objects.filter(id=pending_run.id).update(
        worker_seen_at=timezone.now() - dt.timedelta(seconds=120)
    )
    events = services.expire_abandoned(pending_run.id, after_s=60)
    assert [e.event for _, e in events] == ["error", "done"]
    pending_run.refresh_from_db()
    assert pending_run.status == Run.Status.FAILED
    assert "worker stopped" in pending_run.error_message


def test_a_run_nobody_listens_to_is_reported_to_its_worker(pending_run: Run) -> None:
    services.claim_run(str(pending_run.id))
    assert services.run_watch_state(pending_run.id, orphan_after_s=60) is None
    Run.objects.filter(id=pending_run.id).update(
        listener_seen_at=timezone.now() - dt.timedelta(seconds=120)
    )
    reason = services.run_watch_state(pending_run.id, orphan_after_s=60)
    assert reason is not None and "nobody was listening" in reason
    Run.objects.filter(id=pending_run.id).update(cancel_requested=True)
    assert services.run_watch_state(pending_run.id, orphan_after_s=60) == "The run was cancelled."


def test_a_run_is_never_finished_without_its_done_event(pending_run: Run) -> None:
    # The outcome and `done` are one write: if `done` cannot be stored (here its number is
    # taken), the run is not recorded finished either, so its streams do not end without one.
    done = CompleteEvent(code_complete=False, data_ready=False)
    with pytest.raises(IntegrityError):
        services.finish_run(pending_run.id, None, 1, [done], cancelled=None, error=None)
    pending_run.refresh_from_db()
    assert pending_run.status == Run.Status.PENDING and pending_run.finished_at is None

    services.finish_run(pending_run.id, None, 2, [done], cancelled=None, error=None)
    pending_run.refresh_from_db()
    assert pending_run.status == Run.Status.SUCCEEDED
    last = RunEvent.objects.filter(run=pending_run).order_by("-seq").first()
    assert last is not None and (last.seq, last.event) == (2, "done")


def test_a_new_run_is_written_with_its_conversation_in_one_round_trip_on_postgres(
    postgres_url: str,
) -> None:
    user = get_user_model().objects.create_user("one-trip", password="x")
    with CaptureQueriesContext(connection) as queries:
        run = services.start_chat_run(user, "Show total sales by region")
    # Conversation, run and first event: one statement, no BEGIN/COMMIT around three.
    assert len(queries) == 1, [q["sql"] for q in queries]
    stored = Run.objects.select_related("conversation").get(pk=run.pk)
    assert stored.conversation.user == user and stored.prompt == "Show total sales by region"
    assert stored.created_at == run.created_at
    assert list(RunEvent.objects.filter(run=run).values_list("seq", "event")) == [(1, "run")]


def test_a_follow_up_run_moves_its_conversation_to_the_top(pending_run: Run) -> None:
    conversation = pending_run.conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=1)
    )
    follow_up = services.start_chat_run(
        pending_run.user, "and by month", conversation_id=conversation.pk
    )
    conversation.refresh_from_db()
    assert follow_up.conversation_id == conversation.pk
    assert conversation.updated_at >= follow_up.created_at - dt.timedelta(seconds=1)
    assert RunEvent.objects.get(run=follow_up).seq == 1

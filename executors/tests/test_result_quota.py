"""The result store is bounded per user (VIZORCH_RESULTS_USER_BYTES) and in all
(VIZORCH_RESULTS_TOTAL_BYTES): expired results make room first, oldest first; past the bound a
new query is refused with a clear, typed error before anything runs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from executors import services
from executors.errors import ResultQuotaExceeded
from executors.models import QueryResult

SQL = "SELECT * FROM stores"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _expire(record: QueryResult, days_ago: int) -> None:
    QueryResult.objects.filter(id=record.id).update(
        expires=timezone.now() - dt.timedelta(days=days_ago)
    )


@pytest.mark.django_db
def test_a_user_over_the_quota_is_refused_with_a_clear_error(
    executor_settings: Any, analyst: Any
) -> None:
    first = services.execute_query(SQL, owner=analyst)
    assert first.record is not None
    executor_settings.VIZORCH_RESULTS_USER_BYTES = first.record.byte_size
    response = _client(analyst).post(
        "/api/query", data={"sql": SQL}, content_type="application/json"
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "result_quota_exceeded"
    assert "quota" in body["message"]
    assert QueryResult.objects.filter(owner=analyst).count() == 1


@pytest.mark.django_db
def test_expired_results_make_room_oldest_first(executor_settings: Any, analyst: Any) -> None:
    older = services.execute_query(SQL, owner=analyst).record
    newer = services.execute_query(SQL, owner=analyst).record
    kept = services.execute_query(SQL, owner=analyst).record
    assert older is not None and newer is not None and kept is not None
    _expire(older, days_ago=3)
    _expire(newer, days_ago=1)
    # Room for two results: deleting the oldest expired one is enough.
    executor_settings.VIZORCH_RESULTS_USER_BYTES = 3 * kept.byte_size
    stored = services.execute_query(SQL, owner=analyst)
    remaining = set(QueryResult.objects.filter(owner=analyst).values_list("id", flat=True))
    assert remaining == {newer.id, kept.id, uuid.UUID(stored.id)}
    assert not older.path.exists() and newer.path.exists()


@pytest.mark.django_db
def test_one_user_at_the_quota_does_not_stop_another(
    executor_settings: Any, analyst: Any, other_analyst: Any
) -> None:
    first = services.execute_query(SQL, owner=analyst).record
    assert first is not None
    executor_settings.VIZORCH_RESULTS_USER_BYTES = first.byte_size
    with pytest.raises(ResultQuotaExceeded):
        services.execute_query(SQL, owner=analyst)
    assert services.execute_query(SQL, owner=other_analyst).row_count == 50


@pytest.mark.django_db
def test_a_full_store_frees_expired_results_of_anyone_then_refuses(
    executor_settings: Any, analyst: Any, other_analyst: Any
) -> None:
    theirs = services.execute_query(SQL, owner=other_analyst).record
    assert theirs is not None
    executor_settings.VIZORCH_RESULTS_TOTAL_BYTES = theirs.byte_size
    with pytest.raises(ResultQuotaExceeded, match="result store is full"):
        services.execute_query(SQL, owner=analyst)
    _expire(theirs, days_ago=1)
    assert services.execute_query(SQL, owner=analyst).row_count == 50
    assert not QueryResult.objects.filter(id=theirs.id).exists()

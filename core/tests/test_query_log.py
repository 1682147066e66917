"""Queries are logged (`connection.queries`) only when VIZORCH_LOG_QUERIES asks for it or a test
captures them, not on every query of a DEBUG server (core/query_log.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, reset_queries


@pytest.mark.django_db
def test_a_debug_server_keeps_no_query_log_unless_asked(settings: Any) -> None:
    settings.DEBUG = True
    reset_queries()
    for _ in range(5):
        User.objects.count()
    assert connection.queries == []

    settings.VIZORCH_LOG_QUERIES = True
    User.objects.count()
    assert len(connection.queries) == 1
    assert "auth_user" in connection.queries[0]["sql"]


@pytest.mark.django_db
def test_captured_queries_are_still_counted(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):
        User.objects.count()
        User.objects.exists()

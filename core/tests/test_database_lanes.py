"""The database lanes every run and stream of a process shares (core/db.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from core.db import db


def _logged_queries() -> int:
    return len(connection.queries_log)


@pytest.mark.django_db(transaction=True)
async def test_a_lane_keeps_no_query_log_from_earlier_calls_with_debug_on(
    settings: Any,
) -> None:
    # With DEBUG on (as `make run` has it) Django logs every query of a connection until a request
    # starts. A run worker serves no requests: its lanes kept ~95 kB of SQL per run it drove,
    # a worker's memory growing with every run.
    settings.DEBUG = True
    for _ in range(30):
        await db(User.objects.count)
    assert await db(_logged_queries) == 0

"""Django logs every query of a connection when DEBUG is on (`connection.queries`), until a
request starts: a debugging aid that `make run` (DEBUG on) paid for on every query. On SQLite each
logged query costs a second statement (Django asks SQLite to quote its parameters), and a
process that serves no requests (a run worker, the database lanes) kept every run's SQL. Here a
connection logs its queries only when VIZORCH_LOG_QUERIES is set, or while a test captures them
(`django_assert_num_queries`, `CaptureQueriesContext`)."""

from __future__ import annotations

from django.conf import settings


class OptInQueryLog:
    force_debug_cursor: bool

    @property
    def queries_logged(self) -> bool:
        return self.force_debug_cursor or bool(getattr(settings, "VIZORCH_LOG_QUERIES", False))

"""Django's PostgreSQL backend, logging queries only when asked (core/query_log.py)."""

from __future__ import annotations

from django.db.backends.postgresql import base

from core.query_log import OptInQueryLog


class DatabaseWrapper(OptInQueryLog, base.DatabaseWrapper):
    pass

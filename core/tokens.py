"""Issuing, checking and revoking personal API tokens (`vz_<prefix>_<secret>`)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import connections
from django.utils import timezone

from core.models import ApiToken
from core.roles import remember_roles

TOKEN_PREFIX = "vz"
# A token is used on every request; write `last_used_at` at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> str:
    """Create a token and return its full text; it is never shown again."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=prefix, secret_hash=_hash(secret))
    return f"{TOKEN_PREFIX}_{prefix}_{secret}"


@dataclass(frozen=True)
class TokenCheck:
    """A token's active user (None: unknown, revoked, malformed or inactive) and, when asked
    for, the largest count of recent failed attempts among the given filters (None when not
    counted)."""

    user: User | None
    failures: int | None = None


def check_token(
    raw: str, failed_attempts: Sequence[dict[str, Any]] = (), since: datetime | None = None
) -> TokenCheck:
    """`raw`'s user, with its groups (for its roles) and the caller's failed attempts since
    `since` (django-axes' `AccessAttempt` rows matching each filter of `failed_attempts`, summed;
    the most of those sums) in one statement: every request signed in with a token checks all three,
    and through the ORM each was a query costing ~0.5 ms of CPU to build, most of a small
    request. The statement is written once per shape of filters."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return TokenCheck(None)
    if failed_attempts and since is None:
        raise ValueError("counting failed attempts needs the time to count them from")
    connection = connections[ApiToken.objects.db]
    sql = _token_sql(connection.vendor, tuple(tuple(each) for each in failed_attempts))
    ops = connection.ops
    now = timezone.now()
    params: list[Any] = []
    for each in failed_attempts:
        params += [*each.values(), ops.adapt_datetimefield_value(since)]
    params += [ops.adapt_datetimefield_value(now - LAST_USED_RESOLUTION), parts[1]]
    # Users with the statement's other columns as attributes.
    rows: list[Any] = list(User.objects.raw(sql, params))
    if not rows:
        return TokenCheck(None)
    user = rows[0]
    failures = max(
        (getattr(user, f"failures_{i}") or 0 for i in range(len(failed_attempts))), default=None
    )
    if not hmac.compare_digest(user.token_hash, _hash(parts[2])) or not user.is_active:
        return TokenCheck(None, failures)
    remember_roles(user, (row.group_name for row in rows))
    if user.token_stale:
        ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)
    return TokenCheck(user, failures)


@functools.cache
def _token_sql(vendor: str, filter_shapes: tuple[tuple[str, ...], ...]) -> str:
    """The statement of `check_token` (per database vendor) for filters on these
    `AccessAttempt` fields, each compared for equality, and the attempt time."""
    from axes.models import AccessAttempt

    connection = connections[ApiToken.objects.db]
    q = connection.ops.quote_name

    def column(model: Any, name: str) -> str:
        return q(model._meta.get_field(name).column)

    user_table = q(User._meta.db_table)
    counts = []
    for index, shape in enumerate(filter_shapes):
        conditions = [f"{column(AccessAttempt, name)} = %s" for name in shape]
        conditions.append(f"{column(AccessAttempt, 'attempt_time')} >= %s")
        counts.append(
            f"(SELECT SUM({column(AccessAttempt, 'failures_since_start')}) "
            f"FROM {q(AccessAttempt._meta.db_table)} WHERE {' AND '.join(conditions)}) "
            f"AS failures_{index}"
        )
    groups = User.groups.through
    user_columns = ", ".join(f"u.{q(field.column)}" for field in User._meta.concrete_fields)
    last_used = f"t.{column(ApiToken, 'last_used_at')}"
    return (
        f"SELECT {user_columns}, t.{column(ApiToken, 'id')} AS token_id, "
        f"t.{column(ApiToken, 'secret_hash')} AS token_hash, "
        f"g.{column(Group, 'name')} AS group_name, "
        + "".join(f"{count}, " for count in counts)
        + f"CASE WHEN {last_used} IS NULL OR {last_used} < %s THEN 1 ELSE 0 END AS token_stale "
        f"FROM {q(ApiToken._meta.db_table)} t "
        f"JOIN {user_table} u ON u.{column(User, 'id')} = t.{column(ApiToken, 'user')} "
        f"LEFT JOIN {q(groups._meta.db_table)} ug ON ug.{column(groups, 'user')} = "
        f"u.{column(User, 'id')} "
        f"LEFT JOIN {q(Group._meta.db_table)} g ON g.{column(Group, 'id')} = "
        f"ug.{column(groups, 'group')} "
        f"WHERE t.{column(ApiToken, 'prefix')} = %s AND t.{column(ApiToken, 'revoked_at')} IS NULL"
    )


def user_for_token(raw: str) -> User | None:
    """The active user a token belongs to, or None for unknown, revoked or malformed tokens."""
    return check_token(raw).user


def revoke_token(prefix: str) -> bool:
    updated = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return updated > 0

"""Issuing, checking and revoking personal API tokens (`vz_<prefix>_<secret>`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db.models import F
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


def user_for_token(raw: str) -> User | None:
    """The active user a token belongs to, or None for unknown, revoked or malformed tokens."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    # The token, its user and the user's groups in one query (a row per group): every request
    # signed in with a token checks its roles, which cost a second query (~0.5 ms of CPU each,
    # most of it the ORM's).
    rows = list(
        ApiToken.objects.select_related("user")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .annotate(group_name=F("user__groups__name"))
    )
    if not rows:
        return None
    token = rows[0]
    if not hmac.compare_digest(token.secret_hash, _hash(parts[2])):
        return None
    if not token.user.is_active:
        return None
    remember_roles(token.user, (row.group_name for row in rows))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(prefix: str) -> bool:
    updated = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return updated > 0

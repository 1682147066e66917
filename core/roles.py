"""The three roles of Vizorch, as Django groups."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ANALYST = "Analyst"
CURATOR = "Curator"
VIEWER = "Viewer"
ROLES = (ANALYST, CURATOR, VIEWER)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The user's roles, looked up once per user object (one request), like Django's permission
    cache: a request checks them several times (may chat, may use the engine, ...)."""
    if not user.is_authenticated:
        return []
    cached: list[str] | None = getattr(user, "_vizorch_roles", None)
    if cached is not None:
        return list(cached)
    names = user.groups.filter(name__in=ROLES).values_list("name", flat=True)  # type: ignore[attr-defined]
    return remember_roles(user, names)


def remember_roles(user: AbstractBaseUser, group_names: Iterable[str | None]) -> list[str]:
    """Cache the roles of `user`, whose groups (any, of which the roles count) were read with
    it in one query (the token sign-in), for `roles_of`."""
    names = set(group_names)
    if getattr(user, "is_superuser", False):
        names.add(CURATOR)
    roles = [role for role in ROLES if role in names]
    setattr(user, "_vizorch_roles", roles)  # noqa: B010 (a cache on the request's user object)
    return list(roles)

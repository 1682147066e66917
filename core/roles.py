"""The three roles of Vizorch, as Django groups."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ANALYST = "Analyst"
CURATOR = "Curator"
VIEWER = "Viewer"
ROLES = (ANALYST, CURATOR, VIEWER)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    if not user.is_authenticated:
        return []
    names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))  # type: ignore[attr-defined]
    if getattr(user, "is_superuser", False):
        names.add(CURATOR)
    return [role for role in ROLES if role in names]

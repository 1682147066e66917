"""Who may do what with the executors: use an engine, run ad-hoc SQL, and read a stored result.
An engine is open to every signed-in user unless VIZORCH_ENGINE_ROLES names the roles that may
use it; an engine a user may not use answers as an unknown one. A result is
readable by its owner; other apps (templates_app, which may import executors but never the
reverse) register checks that grant more, e.g. "the user can see a template that references this
result". A result a user may not read is `ResultNotFound`, so ids of other people's results do
not leak."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from core.errors import Forbidden
from core.roles import ANALYST, CURATOR, roles_of
from executors import registry
from executors.errors import ResultNotFound, UnknownEngine
from executors.models import QueryResult

AccessCheck = Callable[[Any, QueryResult], bool]
SQL_ROLES = {ANALYST, CURATOR}

_checks: list[AccessCheck] = []


def can_use_engine(user: Any, name: str) -> bool:
    """VIZORCH_ENGINE_ROLES maps an engine name to the roles that may use it (absent: every
    signed-in user); superusers use every engine."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    allowed = (getattr(settings, "VIZORCH_ENGINE_ROLES", None) or {}).get(name)
    if allowed is None:
        return True
    return bool(set(allowed) & set(roles_of(user)))


def usable_engines(user: Any) -> list[str]:
    """The configured engines `user` may use, in the registry's order."""
    return [name for name in registry.engine_names() if can_use_engine(user, name)]


def default_engine_for(user: Any) -> str | None:
    """The deployment's default engine when `user` may use it, else their first usable one."""
    usable = usable_engines(user)
    default = registry.default_engine_name()
    if default in usable:
        return default
    return usable[0] if usable else None


def check_engine(user: Any, name: str | None) -> str:
    """The engine `user` asks for (their default when None), if they may use it; else
    `UnknownEngine` naming only the engines they may use, so the others do not leak."""
    usable = usable_engines(user)
    wanted = name or default_engine_for(user)
    if wanted is None:
        raise UnknownEngine("No data engine is open to you; ask an administrator.")
    if wanted not in usable:
        shown = ", ".join(usable) or "none"
        raise UnknownEngine(f"There is no engine called {wanted!r}; yours: {shown}.")
    return wanted


def can_run_sql(user: Any) -> bool:
    """Ad-hoc SQL (`/api/query`) is for analysts and curators; viewers refresh templates only."""
    return bool(SQL_ROLES & set(roles_of(user)))


def check_can_run_sql(user: Any) -> None:
    if not can_run_sql(user):
        raise Forbidden("Running SQL needs the Analyst or Curator role.")


def check_can_profile(user: Any) -> None:
    """Profiling an engine again (`GET /api/catalog?refresh=1`) costs engine time: the roles
    that run SQL may ask for it."""
    if not can_run_sql(user):
        raise Forbidden("Profiling needs the Analyst or Curator role.")


def register_result_access_check(check: AccessCheck) -> AccessCheck:
    """Add `check(user, result) -> bool`; a result is readable when its owner asks or any check
    says yes. Usable as a decorator; registering the same function twice has no effect."""
    if check not in _checks:
        _checks.append(check)
    return check


def unregister_result_access_check(check: AccessCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def can_read(user: Any, result: QueryResult) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if result.owner_id is not None and result.owner_id == user.pk:
        return True
    return any(check(user, result) for check in list(_checks))


def readable_result(user: Any, result_id: uuid.UUID | str) -> QueryResult:
    """The result `result_id` if `user` may read it and its file is there; else
    `ResultNotFound`."""
    try:
        result = QueryResult.objects.get(id=result_id)
    except (QueryResult.DoesNotExist, ValidationError, ValueError, TypeError):
        # A malformed id names no result either.
        raise ResultNotFound("No such result.") from None
    if not can_read(user, result) or not result.path.exists():
        raise ResultNotFound("No such result.")
    return result


def is_foreign_result(user: Any, result_id: str) -> bool:
    """Whether `result_id` names a stored result that `user` may not read. An id that names no
    result here (a link exported from another installation) is not foreign: it hands out
    nothing."""
    try:
        result = QueryResult.objects.filter(id=result_id).first()
    except (ValidationError, ValueError, TypeError):
        return False
    return result is not None and not can_read(user, result)

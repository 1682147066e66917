"""Who may do what in chat: the one place these rules live. Analysts and curators ask questions,
regenerate and repair components; viewers open templates and change parameters only. A run or a
conversation belongs to the user who started it; nobody else sees it."""

from __future__ import annotations

from typing import Any

from core.errors import Forbidden
from core.roles import ANALYST, CURATOR, roles_of

CHAT_ROLES = {ANALYST, CURATOR}


def can_chat(user: Any) -> bool:
    return bool(CHAT_ROLES & set(roles_of(user)))


def check_can_chat(user: Any) -> None:
    if not can_chat(user):
        raise Forbidden("Only analysts and curators can ask questions.")

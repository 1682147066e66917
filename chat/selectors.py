"""Reads for the portal's chat: the questions to suggest on an engine's data, made by the offline
analyst from the engine's semantic catalog and each checked by planning it, so a suggestion is
never declined or asked back. Kept per catalog revision in each process."""

from __future__ import annotations

import threading

from analyst.core import Analyst
from chat.agent.offline_model import engine_lookup
from chat.schemas import SuggestionsOut
from executors import access
from executors.catalog.selectors import semantic_catalog

DEFAULT_SUGGESTIONS = 4
MAX_SUGGESTIONS = 8

_lock = threading.Lock()
_made: dict[tuple[str, int, str | None, str], list[str]] = {}


def suggestions_out(user: object, engine: str | None, limit: int) -> SuggestionsOut:
    """Up to `limit` questions the analyst answers on an engine `user` may use (their default
    when None); `UnknownEngine` for any other."""
    name = access.check_engine(user, engine)
    catalog = semantic_catalog(name)
    key = (name, catalog.revision, catalog.profiled_at, catalog.schema_fingerprint)
    with _lock:
        made = _made.get(key)
    if made is None:
        made = Analyst(catalog, lookup=engine_lookup(name)).suggestions(MAX_SUGGESTIONS)
        with _lock:
            _made[key] = made
    return SuggestionsOut(engine=name, questions=made[: max(0, min(limit, MAX_SUGGESTIONS))])


def forget_cached() -> None:
    with _lock:
        _made.clear()

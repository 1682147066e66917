"""Reads of the semantic catalog: the effective catalog of an engine (profiled, with the
curators' layer applied)."""

from __future__ import annotations

import threading

from executors import registry
from executors.catalog.model import SemanticCatalog
from executors.catalog.profile import profile_engine

_lock = threading.Lock()
_profiles: dict[str, SemanticCatalog] = {}


def semantic_catalog(engine_name: str | None = None) -> SemanticCatalog:
    """The effective semantic catalog of one engine (the default engine when None), profiled on
    first use. Raises `UnknownEngine`, or `EngineUnavailable` when it cannot be profiled."""
    engine = registry.get_engine(engine_name)
    with _lock:
        found = _profiles.get(engine.name)
    if found is None:
        found = profile_engine(engine)
        with _lock:
            _profiles[engine.name] = found
    return found

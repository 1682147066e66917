"""The configured engines, by name, built from settings: "local" (the DuckDB file) always, "remote"
when VIZORCH_REMOTE_DUCKDB lists Quack endpoints, "spark" when VIZORCH_SPARK_URL is set. Engines are
built once and rebuilt when the settings they come from change (tests override settings)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

from executors.engines.base import Engine
from executors.errors import UnknownEngine
from executors.guard import GuardPolicy, StatementLimits

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_built_from: tuple[Any, ...] | None = None
# Engines added at run time (tests, plugins); they survive a rebuild from settings.
_registered: dict[str, Engine] = {}
# Arrow bytes up to which a local DuckDB worker sends its result back over the socket; a larger
# result is written as Parquet by the worker itself, even when it still counts as small (a raised
# VIZORCH_RESULT_SMALL_BYTES): sending 75 MB of Arrow and writing them here took longer than the
# query itself (bench figure `serving`).
INLINE_RESULT_BYTES = 16 * 2**20


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _config() -> tuple[Any, ...]:
    return (
        str(settings.VIZORCH_DUCKDB_PATH),
        str(settings.VAR_DIR),
        tuple(settings.VIZORCH_REMOTE_DUCKDB or ()),
        settings.VIZORCH_REMOTE_DUCKDB_TOKEN,
        settings.VIZORCH_SPARK_URL,
        settings.VIZORCH_SPARK_TOKEN,
        str(settings.VIZORCH_RESULTS_DIR),
        _setting("VIZORCH_DUCKDB_MEMORY_LIMIT", "1GB"),
        _setting("VIZORCH_DUCKDB_THREADS", 2),
        _setting("VIZORCH_DUCKDB_TEMP_LIMIT", "2GB"),
        _setting("VIZORCH_DUCKDB_WORKERS", 2),
        _setting("VIZORCH_DUCKDB_WORKER_MEMORY", "2GB"),
        _setting("VIZORCH_RESULT_SMALL_BYTES", 16 * 2**20),
        _setting("VIZORCH_RESULT_SMALL_ROWS", 50_000),
    )


def config_key() -> tuple[Any, ...]:
    """The settings the engines are built from (changes when a test overrides them)."""
    return _config()


def _build() -> dict[str, Engine]:
    from executors.engines.duckdb_local import LocalDuckDBEngine

    engines: dict[str, Engine] = {
        "local": LocalDuckDBEngine(
            "local",
            settings.VIZORCH_DUCKDB_PATH,
            memory_limit=_setting("VIZORCH_DUCKDB_MEMORY_LIMIT", "1GB"),
            threads=int(_setting("VIZORCH_DUCKDB_THREADS", 2)),
            max_temp_directory_size=_setting("VIZORCH_DUCKDB_TEMP_LIMIT", "2GB"),
            temp_directory=settings.VAR_DIR / "duckdb_tmp",
            pool_size=int(_setting("VIZORCH_DUCKDB_WORKERS", 2)),
            worker_memory=_setting("VIZORCH_DUCKDB_WORKER_MEMORY", "2GB"),
            # A large result is written as Parquet by the worker itself, straight into the
            # result store: the web process never holds it.
            spill_directory=settings.VIZORCH_RESULTS_DIR,
            spill_bytes=min(
                int(_setting("VIZORCH_RESULT_SMALL_BYTES", 16 * 2**20)), INLINE_RESULT_BYTES
            ),
        )
    }
    endpoints = list(settings.VIZORCH_REMOTE_DUCKDB or [])
    if endpoints:
        from executors.engines.duckdb_remote import RemoteDuckDBEngine

        engines["remote"] = RemoteDuckDBEngine(
            "remote", endpoints, settings.VIZORCH_REMOTE_DUCKDB_TOKEN
        )
    if settings.VIZORCH_SPARK_URL:
        from executors.engines.spark import SparkEngine

        engines["spark"] = SparkEngine(
            "spark",
            settings.VIZORCH_SPARK_URL,
            settings.VIZORCH_SPARK_TOKEN,
            settings.VIZORCH_RESULTS_DIR,
            # Spark writes Parquet itself exactly when the result has more rows than a "small" one.
            small_rows=int(_setting("VIZORCH_RESULT_SMALL_ROWS", 50_000)),
        )
    return engines


def _current() -> dict[str, Engine]:
    global _built_from, _engines
    config = _config()
    with _lock:
        if config != _built_from:
            # Build before closing, so engines that did not change take over the old ones'
            # resources (the local engine's worker processes).
            old, _engines = _engines, _build()
            for engine in old.values():
                engine.close()
            _built_from = config
        return {**_engines, **_registered}


def all_engines() -> list[Engine]:
    return list(_current().values())


def engine_names() -> list[str]:
    return list(_current())


def default_engine_name() -> str:
    name: str = settings.VIZORCH_DEFAULT_ENGINE or "local"
    return name if name in _current() else "local"


def get_engine(name: str | None = None) -> Engine:
    """The engine called `name`, or the default one; `UnknownEngine` names the configured ones."""
    engines = _current()
    wanted = name or default_engine_name()
    try:
        return engines[wanted]
    except KeyError:
        raise UnknownEngine(
            f"There is no engine called {wanted!r}; configured: {', '.join(engines)}."
        ) from None


def register(engine: Engine) -> None:
    """Add (or replace) an engine next to the configured ones, e.g. a second DuckDB file or an
    engine a test started. It stays until `unregister`, whatever the settings do."""
    with _lock:
        _registered[engine.name] = engine


def unregister(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def policy_for(name: str) -> GuardPolicy:
    """The guard settings of one engine: VIZORCH_GUARD_ALLOWED_FUNCTIONS and
    VIZORCH_GUARD_ALLOWED_TABLES map an engine name to a list (absent: defaults, all tables)."""
    functions: dict[str, list[str]] = _setting("VIZORCH_GUARD_ALLOWED_FUNCTIONS", {}) or {}
    tables: dict[str, list[str]] = _setting("VIZORCH_GUARD_ALLOWED_TABLES", {}) or {}
    return GuardPolicy.build(
        allowed_functions=functions.get(name, ()),
        allowed_tables=tables.get(name),
        limits=statement_limits(),
    )


def statement_limits() -> StatementLimits:
    """The guard's size limits: VIZORCH_SQL_MAX_BYTES, _SET_TERMS, _DEPTH and _NODES."""
    defaults = StatementLimits()
    return StatementLimits(
        max_bytes=int(_setting("VIZORCH_SQL_MAX_BYTES", defaults.max_bytes)),
        max_set_terms=int(_setting("VIZORCH_SQL_MAX_SET_TERMS", defaults.max_set_terms)),
        max_depth=int(_setting("VIZORCH_SQL_MAX_DEPTH", defaults.max_depth)),
        max_nodes=int(_setting("VIZORCH_SQL_MAX_NODES", defaults.max_nodes)),
    )


def close_all() -> None:
    """Close every engine (shutdown and tests); the next call rebuilds them."""
    global _built_from, _engines
    with _lock:
        for engine in _engines.values():
            engine.close()
        _engines = {}
        _built_from = None

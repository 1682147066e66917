"""Turns environment variables into Django settings values. Plain functions so the parsing of
`DATABASE_URL`, `REDIS_URL` and friends is testable without reloading settings."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_bool(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def env_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def env_json_object(value: str | None) -> dict[str, Any]:
    """A JSON object from the environment; empty when unset."""
    if not value or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"expected a JSON object, got {value[:40]!r}: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"expected a JSON object, got {type(parsed).__name__}")
    return parsed


def env_int_or_json_object(value: str | None, *, default: int) -> int | dict[str, Any]:
    """A whole number, or a JSON object (for settings that may differ per engine)."""
    if not value or not value.strip():
        return default
    if value.strip().startswith("{"):
        return env_json_object(value)
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"expected a number or a JSON object, got {value[:40]!r}"
        ) from exc


_OUR_BACKENDS = {
    "django.db.backends.sqlite3": "core.sqlite",
    "django.db.backends.postgresql": "core.postgresql",
}


def database_config(
    url: str | None, var_dir: Path, *, pool_size: int = 10, pool_timeout_s: float = 30.0
) -> dict[str, Any]:
    """SQLite under `var/` when no URL is given; `postgres://` URLs use psycopg 3 through
    Django's connection pool: a process opens at most `pool_size` connections, and a thread that
    finds them all in use waits up to `pool_timeout_s` for one (`pool_size` 0 turns the pool off:
    one connection per thread, as without it)."""
    if not url:
        return {
            # Django's SQLite backend with a queue for the one writer (core/sqlite/base.py).
            "ENGINE": "core.sqlite",
            "NAME": str(var_dir / "vizorch.sqlite3"),
            # A thread keeps its connection: opening one (its pragmas and SQL functions) was a
            # sixth of a small request's cost. Requests reuse idle threads (handler.py).
            "CONN_MAX_AGE": None,
            # Several threads write run events and results; wait rather than fail on a lock.
            # WAL lets readers run beside the writer, and NORMAL sync makes each small event
            # write cheap (still durable across an application crash).
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if not url.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// or sqlite:// URL, got {url.split(':', 1)[0]}://"
        )
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    # Django's backends with our changes (core/sqlite, core/postgresql).
    config["ENGINE"] = _OUR_BACKENDS.get(config["ENGINE"], config["ENGINE"])
    if config["ENGINE"] == "core.postgresql":
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("connect_timeout", 5)
        if pool_size > 0:
            config["OPTIONS"]["pool"] = {
                "min_size": min(2, pool_size),
                "max_size": pool_size,
                "timeout": pool_timeout_s,
            }
    return config


def channel_layers(redis_url: str | None, prefix: str = "vizorch") -> dict[str, Any]:
    """In-memory layer for the embedded default, channels-redis when `REDIS_URL` is set. The key
    prefix keeps several installations (or test servers) on one Redis from taking each other's
    runs."""
    if not redis_url:
        return {"default": {"BACKEND": "core.memory_layer.SweepingInMemoryChannelLayer"}}
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis blocks up to 5 s on a pop; redis-py's own 5 s read timeout must
                # not cut that wait short.
                "hosts": [{"address": redis_url, "socket_timeout": 15}],
                "prefix": prefix,
                "capacity": 5000,
                "expiry": 120,
            },
        }
    }


def secret_key(value: str | None, *, debug: bool, var_dir: Path) -> str:
    """Production must set SECRET_KEY; development generates one and keeps it under `var/`."""
    if value:
        return value
    if not debug:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key

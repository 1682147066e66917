"""DATABASE_URL and REDIS_URL become the right Django settings, and the real services work."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from core.config import (
    channel_layers,
    database_config,
    env_bool,
    env_int_or_json_object,
    env_list,
    secret_key,
)


def test_engine_concurrency_is_a_number_or_an_object_by_engine() -> None:
    assert env_int_or_json_object(None, default=4) == 4
    assert env_int_or_json_object(" 6 ", default=4) == 6
    assert env_int_or_json_object('{"spark": 8, "default": 2}', default=4) == {
        "spark": 8,
        "default": 2,
    }
    with pytest.raises(ImproperlyConfigured, match="a number or a JSON object"):
        env_int_or_json_object("lots", default=4)


def test_database_defaults_to_sqlite_under_var(tmp_path: Path) -> None:
    config = database_config(None, tmp_path)
    assert config["ENGINE"] == "core.sqlite"
    assert config["NAME"] == str(tmp_path / "vizorch.sqlite3")


def test_postgres_url_uses_the_postgresql_backend(tmp_path: Path) -> None:
    config = database_config("postgres://alice:secret@db.example:6543/analytics", tmp_path)
    assert config["ENGINE"] == "core.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.example",
        6543,
        "analytics",
        "alice",
    )


def test_unsupported_database_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        database_config("mysql://root@localhost/x", tmp_path)


def test_real_postgres_accepts_queries_through_the_parsed_settings(
    postgres_url: str, tmp_path: Path
) -> None:
    # Connect to the maintenance database of the same server: the URL's own database may be the
    # one pytest-django is busy creating for this run.
    maintenance = postgres_url.rsplit("/", 1)[0] + "/postgres"
    config = database_config(maintenance, tmp_path)
    assert config["ENGINE"] == "core.postgresql"
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        dbname=config["NAME"],
        user=config["USER"],
        password=config["PASSWORD"] or None,
        connect_timeout=config["OPTIONS"]["connect_timeout"],
    ) as connection:
        (version,) = connection.execute("SELECT version()").fetchone() or ("",)
    assert "PostgreSQL" in version


def test_channel_layer_defaults_to_in_memory() -> None:
    backend = channel_layers(None)["default"]["BACKEND"]
    assert backend == "core.memory_layer.SweepingInMemoryChannelLayer"


def test_redis_url_selects_channels_redis() -> None:
    layers = channel_layers("redis://127.0.0.1:6379/3")
    assert layers["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layers["default"]["CONFIG"]["hosts"] == [
        {"address": "redis://127.0.0.1:6379/3", "socket_timeout": 15}
    ]
    assert layers["default"]["CONFIG"]["prefix"] == "vizorch"
    assert channel_layers("redis://h", prefix="other")["default"]["CONFIG"]["prefix"] == "other"


def test_unsupported_redis_url_is_a_clear_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        channel_layers("http://127.0.0.1:6379")


async def test_real_redis_carries_messages_through_the_parsed_layer(redis_url: str) -> None:
    config = channel_layers(redis_url)["default"]
    config["CONFIG"]["prefix"] = f"test-{uuid.uuid4().hex}"
    layer = import_string(config["BACKEND"])(**config["CONFIG"])
    channel = await layer.new_channel()
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "probe", "token": token})
    message = await layer.receive(channel)
    assert message == {"type": "probe", "token": token}


def test_secret_key_is_generated_once_in_development(tmp_path: Path) -> None:
    first = secret_key(None, debug=True, var_dir=tmp_path)
    assert len(first) > 40
    assert secret_key(None, debug=True, var_dir=tmp_path) == first


def test_secret_key_is_required_in_production(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        secret_key(None, debug=False, var_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"), [("1", True), ("yes", True), ("0", False), ("", False), (None, False)]
)
def test_env_bool(text: str | None, expected: bool) -> None:
    assert env_bool(text) is expected


def test_env_list_ignores_blanks() -> None:
    assert env_list(" a, ,b ,") == ["a", "b"]


def test_json_object_settings_are_parsed_and_checked() -> None:
    from core.config import env_json_object

    assert env_json_object('{"local": ["orders"]}') == {"local": ["orders"]}
    assert env_json_object(None) == {}
    with pytest.raises(ImproperlyConfigured, match="JSON object"):
        env_json_object('["orders"]')
    with pytest.raises(ImproperlyConfigured, match="JSON object"):
        env_json_object("{local")


def test_sqlite_default_runs_in_wal_mode(tmp_path: Path) -> None:
    config = database_config(None, tmp_path)
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]

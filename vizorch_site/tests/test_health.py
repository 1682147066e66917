"""/api/health reports each part; 503 names the part that is down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from vizorch_site.testing import LiveServer, free_port, running_server


def test_health_is_200_when_everything_is_up(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/api/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    names = {component["name"]: component for component in body["components"]}
    assert names["database"]["ok"] and names["channel_layer"]["ok"]
    assert names["engine:local"]["ok"]


def test_health_is_503_naming_the_database_when_it_is_unreachable(tmp_path: Path) -> None:
    closed = free_port()
    with running_server(
        tmp_path, prepare=False, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/none"
    ) as server:
        response = httpx.get(f"{server.url}/api/health", timeout=30)
    assert response.status_code == 503
    failing = [c["name"] for c in response.json()["components"] if not c["ok"]]
    assert "database" in failing
    assert response.json()["status"] == "degraded"


def test_health_is_503_naming_the_channel_layer_when_redis_is_down(tmp_path: Path) -> None:
    closed = free_port()
    with running_server(tmp_path, REDIS_URL=f"redis://127.0.0.1:{closed}/0") as server:
        response = httpx.get(f"{server.url}/api/health", timeout=30)
    assert response.status_code == 503
    components = {c["name"]: c for c in response.json()["components"]}
    assert not components["channel_layer"]["ok"]
    assert "RedisChannelLayer" in components["channel_layer"]["detail"]
    assert components["database"]["ok"]


def test_health_uses_redis_when_configured(redis_url: str, tmp_path: Path) -> None:
    with running_server(tmp_path, REDIS_URL=redis_url) as server:
        response = httpx.get(f"{server.url}/api/health", timeout=30)
    assert response.status_code == 200, response.text
    components = {c["name"]: c for c in response.json()["components"]}
    assert components["channel_layer"]["detail"] == "RedisChannelLayer"


@pytest.mark.parametrize("debug", ["0"])
def test_deploy_check_has_no_warnings_with_production_settings(debug: str, tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": debug,
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "vizorch.example.com",
        "VIZORCH_VAR_DIR": str(tmp_path),
        "SECURE_HSTS_PRELOAD": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_ping_answers_pong_without_signing_in(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/ping")
    assert (response.status_code, response.text) == (200, "pong")

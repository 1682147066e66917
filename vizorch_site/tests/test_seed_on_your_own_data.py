"""`make run` on a DuckDB file of your own: seed_demo creates the users, never writes to the
file, profiles it into the semantic catalog, and the portal serves it. The demo dataset is only
generated at the default path, and only when it is absent."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from executors import demo_data
from executors.models import Catalog
from vizorch_site.testing import LiveServer, running_server


@pytest.fixture(scope="module")
def own_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Someone's own data: TPC-H at SF 0.01, no declared keys, prefixed column names."""
    path = tmp_path_factory.mktemp("own") / "warehouse.duckdb"
    demo_data.load_tpch(path, 0.01, schema="main")
    return path


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.mark.django_db
def test_seed_demo_profiles_your_file_and_leaves_it_as_it_is(
    own_file: Path, settings: Any, tmp_path: Path
) -> None:
    settings.VIZORCH_DUCKDB_PATH = own_file
    settings.VIZORCH_DUCKDB_DEFAULT_PATH = tmp_path / "demo.duckdb"
    settings.VIZORCH_REMOTE_DUCKDB = []
    settings.VIZORCH_SPARK_URL = None
    before = _digest(own_file)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert f"Using your DuckDB file {own_file} (left as it is)." in out.getvalue()
    assert _digest(own_file) == before
    assert not (tmp_path / "demo.duckdb").exists()
    assert set(User.objects.values_list("username", flat=True)) >= {"analyst", "curator", "viewer"}
    catalog = Catalog.objects.get(engine="local")
    assert catalog.profiled_at is not None and catalog.version == 0  # no demo vocabulary
    assert {t.name for t in catalog.tables.all()} >= {"lineitem", "orders", "customer"}
    call_command("seed_demo", stdout=StringIO())  # again: still untouched
    assert _digest(own_file) == before


@pytest.mark.django_db
def test_a_missing_file_of_your_own_is_an_error_not_a_demo(settings: Any, tmp_path: Path) -> None:
    settings.VIZORCH_DUCKDB_PATH = tmp_path / "typo.duckdb"
    settings.VIZORCH_DUCKDB_DEFAULT_PATH = tmp_path / "demo.duckdb"
    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", stdout=StringIO())
    assert "does not exist" in str(refused.value)
    assert not (tmp_path / "typo.duckdb").exists()


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory, own_file: Path) -> Iterator[LiveServer]:
    with running_server(
        tmp_path_factory.mktemp("own-live"), REDIS_URL="", VIZORCH_DUCKDB_PATH=str(own_file)
    ) as server:
        yield server


def test_the_portal_works_on_your_file(own_server: LiveServer, own_file: Path) -> None:
    before = _digest(own_file)
    token = own_server.api_token("analyst")
    with httpx.Client(
        base_url=own_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        assert client.get("/").status_code in (200, 302)
        body = client.get("/api/catalog").json()
        local = next(e for e in body["engines"] if e["name"] == "local")
        assert local["error"] is None
        tables = {t["name"]: t for t in local["tables"]}
        assert tables["lineitem"]["row_count"] > 50_000
        joins = {r["join_condition"] for r in local["relationships"]}
        assert "orders.o_custkey = customer.c_custkey" in joins
        query = client.post(
            "/api/query", json={"sql": "SELECT count(*) AS n FROM orders", "engine": "local"}
        )
        assert query.status_code == 200, query.text
        assert query.json()["row_count"] == 1
        with client.stream("POST", "/api/chat", json={"prompt": "How many orders are there?"}) as r:
            assert r.status_code == 200
            lines = [line for line in r.iter_lines() if line.startswith("event: ")]
        assert lines[0] == "event: run" and lines[-1] == "event: done"
    assert _digest(own_file) == before

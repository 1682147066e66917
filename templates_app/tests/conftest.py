from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from templates_app import run_sources, services
from templates_app.models import ShareRole, Template, TemplateShare

SALES_SQL = "SELECT region, SUM(sales) AS sales FROM region_sales GROUP BY region ORDER BY region"
UI_CODE = (
    "export default function Viz({ data, params }) {\n"
    "  return <div>{params.title}: {data.rows.length}</div>;\n"
    "}\n"
)


def template_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Sales by region",
        "prompt": "Show sales by region",
        "generated_sql": SALES_SQL,
        "ui_code": UI_CODE,
        "parameters": {"title": "Sales by Region", "chart_type": "bar", "color_scheme": "default"},
        "data_source": "duckdb",
        "engine": "local",
        "data_url": None,
        **overrides,
    }


def record(**overrides: Any) -> dict[str, Any]:
    """A valid record in the template JSON format."""
    import uuid

    return {
        "id": str(uuid.uuid4()),
        "prompt": "Show sales by region",
        "generated_sql": SALES_SQL,
        "ui_code": UI_CODE,
        "parameters": {"title": "Sales by Region", "chart_type": "bar"},
        "data_source": "duckdb",
        "data_url": None,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-02T00:00:00Z",
        **overrides,
    }


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, role: str | None = None, **extra: Any) -> User:
        # No password: tests sign in with force_login, and hashing one is slow.
        user = User.objects.create_user(username, **extra)
        if role:
            # get_or_create: a transactional test before this one flushed the migrated groups.
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def analyst(make_user: Callable[..., User]) -> User:
    return make_user("ana", "Analyst")


@pytest.fixture
def curator(make_user: Callable[..., User]) -> User:
    return make_user("cora", "Curator", is_staff=True)


@pytest.fixture
def viewer(make_user: Callable[..., User]) -> User:
    return make_user("vic", "Viewer")


@pytest.fixture
def make_template(db: None) -> Callable[..., Template]:
    def make(owner: User | None = None, **overrides: Any) -> Template:
        return services.create_template(owner, template_fields(**overrides))

    return make


def share(template: Template, who: User | Group, role: str = ShareRole.VIEWER) -> TemplateShare:
    if isinstance(who, Group):
        return TemplateShare.objects.create(template=template, group=who, role=role)
    return TemplateShare.objects.create(template=template, user=who, role=role)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def send_json(client: Client, method: str, url: str, body: Any = None, **headers: str) -> Any:
    return getattr(client, method)(
        url,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture(scope="session")
def sales_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small DuckDB file with the one table the test templates query."""
    path = tmp_path_factory.mktemp("duckdb") / "sales.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE region_sales AS SELECT * FROM (VALUES ('Europe', 10.5), ('Europe', 2.0),"
        " ('Asia Pacific', 7.25), ('North America', 30.0)) AS t(region, sales)"
    )
    con.close()
    return path


@pytest.fixture
def engines(settings: Any, sales_duckdb: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point the local engine at `sales_duckdb` and results at a temporary directory."""
    settings.VIZORCH_DUCKDB_PATH = sales_duckdb
    settings.VIZORCH_RESULTS_DIR = tmp_path_factory.getbasetemp() / "results"
    settings.VIZORCH_DEFAULT_ENGINE = "local"


@pytest.fixture
def run_source() -> Iterator[dict[str, Any]]:
    """A registered run lookup serving the runs put in the returned dict ({run_id: (user, run)})."""
    runs: dict[Any, Any] = {}
    previous = run_sources._lookup

    def lookup(run_id: Any, user: Any) -> dict[str, Any] | None:
        owner, run = runs.get(run_id, (None, None))
        return run if owner is not None and owner.pk == user.pk else None

    run_sources.register(lookup)
    yield runs
    run_sources._lookup = previous


def error_of(response: Any) -> tuple[int, str | None]:
    """A response's status and typed error `code` (None when the body is not an error)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body.get("code") if isinstance(body, dict) else None

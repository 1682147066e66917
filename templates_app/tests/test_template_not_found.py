"""Whoever cannot see a template gets 404 from every endpoint, including its result's data."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from executors import services as executors_services
from templates_app.models import Template
from templates_app.tests.conftest import client_for, error_of, send_json


@pytest.fixture
def hidden(
    make_user: Callable[..., User], make_template: Callable[..., Template], engines: None
) -> Template:
    owner = make_user("owner", "Analyst")
    result = executors_services.execute_query(
        "SELECT region, sales FROM region_sales", engine_name="local", owner=owner
    )
    return make_template(owner=owner, data_url=result.url, visibility="private")


ENDPOINTS: list[tuple[str, str, dict[str, object] | None]] = [
    ("get", "{url}", None),
    ("patch", "{url}", {"title": "x", "version": 1}),
    ("delete", "{url}", None),
    ("get", "{url}/versions", None),
    ("post", "{url}/restore/1", None),
    ("get", "{url}/shares", None),
    ("put", "{url}/shares", {"shares": []}),
    ("post", "{url}/refresh", None),
    ("get", "/api/templates/export?ids={id}", None),
    ("get", "{data_url}", None),
]


@pytest.mark.parametrize("role", ["Viewer", "Analyst"])
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_invisible_template_is_404_everywhere(
    role: str,
    method: str,
    path: str,
    body: object,
    hidden: Template,
    make_user: Callable[..., User],
) -> None:
    stranger = make_user("stranger", role)
    url = path.format(url=f"/api/templates/{hidden.pk}", id=hidden.pk, data_url=hidden.data_url)
    response = send_json(client_for(stranger), method, url, body)
    assert response.status_code == 404, (url, response.content)
    assert response.json()["code"] == "not_found"
    hidden.refresh_from_db()
    assert hidden.version == 1


def test_an_unknown_template_id_is_the_same_404(make_user: Callable[..., User]) -> None:
    user = make_user("u", "Curator")
    response = client_for(user).get("/api/templates/8d5c3f0e-2b7a-4b8e-9a43-1b2f0d1c9e11")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Template not found."}


def test_a_shared_reader_may_read_the_templates_result(
    hidden: Template, make_user: Callable[..., User]
) -> None:
    from templates_app.models import ShareRole
    from templates_app.tests.conftest import share

    reader = make_user("reader", "Viewer")
    client = client_for(reader)
    assert hidden.data_url is not None
    assert error_of(client.get(hidden.data_url)) == (404, "not_found")
    hidden.visibility = "shared"
    hidden.save()
    share(hidden, reader, ShareRole.VIEWER)
    response = client.get(hidden.data_url)
    assert response.status_code == 200, response.content
    assert response.json()["columns"] == ["region", "sales"]
    assert len(response.json()["rows"]) == 4


def test_import_by_a_non_curator_is_refused(make_user: Callable[..., User]) -> None:
    analyst = make_user("a", "Analyst")
    upload = io.BytesIO(b"[]")
    upload.name = "t.json"
    response = client_for(analyst).post("/api/templates/import", {"file": upload})
    assert error_of(response) == (403, "forbidden")

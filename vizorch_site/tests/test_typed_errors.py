"""Bad input never gets a 500 or a traceback: every API error is a typed JSON body, in DEBUG
too, including framework-level ones (unknown URLs, oversized bodies, missing credentials)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug(settings: Any) -> None:
    settings.DEBUG = True


@pytest.fixture
def analyst_client(analyst: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(analyst)
    return client


def _error(response: Any) -> tuple[int, str]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()["code"]


def _post(client: Client, url: str, body: str, **headers: str) -> Any:
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_generate_ui_with_a_malformed_result_id_is_422(analyst_client: Client) -> None:
    body = json.dumps({"prompt": "make it a pie chart", "result_id": "not-a-uuid"})
    assert _error(_post(analyst_client, "/api/generate-ui", body)) == (422, "invalid_request")


def test_a_page_beyond_the_databases_integers_is_422(analyst_client: Client) -> None:
    response = analyst_client.get("/api/templates?page=99999999999999999999")
    assert _error(response) == (422, "invalid_request")


def test_a_version_beyond_the_databases_integers_is_not_found(analyst: User) -> None:
    from templates_app import services
    from templates_app.tests.conftest import template_fields

    template = services.create_template(analyst, template_fields())
    client = Client(raise_request_exception=False)
    client.force_login(analyst)
    response = client.post(f"/api/templates/{template.pk}/restore/99999999999999999999")
    assert _error(response) == (404, "version_not_found")


def test_a_lone_surrogate_in_sql_is_422(analyst_client: Client) -> None:
    response = _post(analyst_client, "/api/query", '{"sql": "SELECT \'\\ud800\'"}')
    assert _error(response) == (422, "invalid_request")
    assert "surrogate" in json.dumps(response.json()["detail"])


def test_a_lone_surrogate_in_an_imported_prompt_refuses_the_import(settings: Any) -> None:
    from templates_app.models import Template
    from templates_app.tests.conftest import record

    curator = User.objects.create_user("cora", is_staff=True)
    curator.groups.add(Group.objects.get_or_create(name="Curator")[0])
    client = Client(raise_request_exception=False)
    client.force_login(curator)
    text = json.dumps([record(prompt="Sales \ud800 by region")], ensure_ascii=True)
    upload = io.BytesIO(text.encode())
    upload.name = "t.json"
    response = client.post("/api/templates/import", {"file": upload})
    assert _error(response) == (400, "import_refused")
    (reason,) = response.json()["detail"]["records"][0]["reasons"]
    assert "surrogate" in reason
    assert not Template.objects.exists()


def test_a_body_over_the_limit_is_413(analyst_client: Client, settings: Any) -> None:
    body = json.dumps({"sql": "SELECT 1 -- " + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    response = _post(analyst_client, "/api/query", body)
    assert _error(response) == (413, "body_too_large")
    assert response.json()["detail"] == {"limit_bytes": 2_621_440}


@pytest.mark.parametrize("authorization", [None, "Bearer vz_nope_nope", "Bearer garbage"])
def test_unsafe_methods_without_a_valid_token_are_401(
    analyst: User, authorization: str | None
) -> None:
    client = Client(enforce_csrf_checks=True)
    headers = {"Authorization": authorization} if authorization else {}
    for method, url in [
        ("post", "/api/query"),
        ("post", "/api/templates"),
        ("patch", "/api/templates/8d5c3f0e-2b7a-4b8e-9a43-1b2f0d1c9e11"),
        ("delete", "/api/templates/8d5c3f0e-2b7a-4b8e-9a43-1b2f0d1c9e11"),
    ]:
        response = getattr(client, method)(
            url, data="{}", content_type="application/json", headers=headers
        )
        assert _error(response) == (401, "unauthenticated"), (method, url)


def test_a_session_post_without_its_csrf_token_stays_refused_as_typed_403(
    analyst: User,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    response = _post(client, "/api/query", '{"sql": "SELECT 1"}')
    assert _error(response) == (403, "csrf_failed")
    assert "X-CSRFToken" in response.json()["message"]


def test_an_unknown_api_url_is_a_typed_404_in_debug(analyst_client: Client) -> None:
    assert _error(analyst_client.get("/api/no/such/thing")) == (404, "not_found")

"""Pages redirect to the login page and the API answers 401 JSON until someone signs in."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from vizorch_site.api import api

pytestmark = pytest.mark.django_db


PUBLIC_PATHS = {"/api/health"}


def _every_api_operation() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    operations: list[tuple[str, str]] = []
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        operations.extend((method.upper(), concrete) for method in methods)
    return operations


def test_every_api_endpoint_but_health_answers_401_json_when_signed_out(client: Client) -> None:
    operations = _every_api_operation()
    assert ("GET", "/api/me") in operations
    for method, path in operations:
        if path in PUBLIC_PATHS:
            continue
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code == 401, (method, path, response.status_code)
        body = response.json()
        assert body["code"] == "unauthenticated"
        assert "Bearer" in body["message"]


@pytest.mark.parametrize("path", ["/", "/app/templates"])
def test_portal_pages_redirect_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_health_and_docs_are_public(client: Client) -> None:
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/health").status_code in (200, 503)


def test_login_form_signs_in_and_me_reports_roles(client: Client, analyst: User) -> None:
    page = client.get("/login/")
    assert b'name="password"' in page.content
    response = client.post("/login/", {"username": "ana", "password": "pw-ana-123456"})
    assert response.status_code == 302
    me = client.get("/api/me").json()
    assert me == {"username": "ana", "roles": ["Analyst"], "is_staff": False}


def test_wrong_password_is_refused_with_a_message(client: Client, analyst: User) -> None:
    response = client.post("/login/", {"username": "ana", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert client.get("/api/me").status_code == 401


def test_logout_ends_the_session(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    assert client.get("/api/me").status_code == 200
    client.post("/logout/")
    assert client.get("/api/me").status_code == 401


def test_a_typed_logout_address_asks_to_confirm(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    page = client.get("/logout/")
    assert page.status_code == 200
    assert b"Sign out of Vizorch?" in page.content and b'method="post"' in page.content
    # Only the POST signs out.
    assert client.get("/api/me").status_code == 200
    client.logout()
    response = client.get("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_an_unknown_page_is_the_portals_404(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    for path in ("/no/such/page", "/app/nothing", "/app/templates/a/b"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b'id="vizorch-boot"' in response.content, path
    assert client.get("/app/templates").status_code == 200
    moved = client.get("/login")
    assert moved.status_code == 302 and moved["Location"] == "/login/"


def test_session_writes_need_the_csrf_token(analyst: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    response = client.post("/api/query", {"sql": "SELECT 1"}, content_type="application/json")
    assert response.status_code == 403

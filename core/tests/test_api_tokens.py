"""Personal API tokens: `Authorization: Bearer <token>` works until revoked; only a hash is kept."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from core.models import ApiToken

pytestmark = pytest.mark.django_db


def _create_token(username: str) -> str:
    out = StringIO()
    call_command("create_api_token", username, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_valid_token_authenticates(client: Client, analyst: User) -> None:
    token = _create_token("ana")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["username"] == "ana"


def test_token_needs_no_csrf_for_writes(analyst: User) -> None:
    token = _create_token("ana")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/query",
        {"sql": "DELETE FROM orders"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    # Authenticated and past CSRF: the statement itself is what gets refused, by the guard.
    assert response.status_code == 400
    assert response.json()["code"] == "sql_refused"


def test_only_a_hash_of_the_secret_is_stored(analyst: User) -> None:
    token = _create_token("ana")
    row = ApiToken.objects.get(user=analyst)
    secret = token.split("_", 2)[2]
    assert secret not in row.secret_hash
    assert len(row.secret_hash) == 64


def test_revoked_token_is_refused(client: Client, analyst: User) -> None:
    token = _create_token("ana")
    prefix = token.split("_")[1]
    call_command("create_api_token", revoke=prefix, stdout=StringIO())
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer vz_",
        "Bearer vz_abc",
        "Bearer not-a-token",
        "Basic Zm9vOmJhcg==",
    ],
)
def test_malformed_tokens_are_refused(client: Client, analyst: User, header: str) -> None:
    _create_token("ana")
    response = client.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_tampered_secret_is_refused(client: Client, analyst: User) -> None:
    token = _create_token("ana")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_token_of_a_deactivated_user_is_refused(client: Client, analyst: User) -> None:
    token = _create_token("ana")
    analyst.is_active = False
    analyst.save()
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_unknown_user_is_a_command_error(analyst: User) -> None:
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "nobody", stdout=StringIO())


def test_a_token_sign_in_reads_token_roles_and_lockout_in_one_query(analyst: User) -> None:
    """Every request signed in with a token pays for this: the token, its user's roles and the
    caller's recent failed attempts (django-axes) come in one statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = _create_token("ana")
    client = Client()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["roles"] == ["Analyst"]
    assert len(queries) == 1, [query["sql"] for query in queries]

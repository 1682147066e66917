"""Failed sign-ins are throttled (django-axes): past the limit of wrong passwords for one user
from one address, or of bad API tokens from one address, even the right credentials are refused
until the cool-off has passed, with a message that says so."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client

from core.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limit(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3


def _sign_in(client: Client, password: str) -> Any:
    return client.post("/login/", {"username": "ana", "password": password})


def test_wrong_passwords_lock_the_login_form_even_for_the_right_one(analyst: User) -> None:
    client = Client()
    for _ in range(2):
        assert _sign_in(client, "wrong").status_code == 200  # the form again, with its error
    locked = _sign_in(client, "wrong")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    assert "Too many failed sign-in attempts; try again in 15 minutes." in locked.text
    right = _sign_in(client, "pw-ana-123456")
    assert right.status_code == 429
    assert client.get("/api/me").status_code == 401


def test_a_right_password_before_the_limit_signs_in_and_resets_the_count(analyst: User) -> None:
    client = Client()
    for _ in range(2):
        _sign_in(client, "wrong")
    assert _sign_in(client, "pw-ana-123456").status_code == 302
    assert client.get("/api/me").json()["username"] == "ana"
    other = Client()
    for _ in range(2):
        assert _sign_in(other, "wrong").status_code == 200


def test_bad_tokens_lock_out_token_sign_in_from_that_address(analyst: User) -> None:
    good = issue_token(analyst)
    client = Client()
    for attempt in range(3):
        response = client.get("/api/me", headers={"Authorization": f"Bearer vz_bad_{attempt}"})
        assert response.status_code == (401 if attempt < 2 else 429)
    assert response.json() == {
        "code": "too_many_attempts",
        "message": "Too many failed sign-in attempts; try again in 15 minutes.",
    }
    refused = client.get("/api/me", headers={"Authorization": f"Bearer {good}"})
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_attempts"
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    response = elsewhere.get("/api/me", headers={"Authorization": f"Bearer {good}"})
    assert response.status_code == 200 and response.json()["username"] == "ana"


def test_limit_and_cool_off_are_configurable(settings: Any, analyst: User) -> None:
    from datetime import timedelta

    settings.AXES_FAILURE_LIMIT = 1
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    locked = _sign_in(Client(), "wrong")
    assert locked.status_code == 429
    assert "try again in 1 minute." in locked.text


def test_a_good_token_signs_in_below_the_limit_and_the_failures_still_count(
    analyst: User,
) -> None:
    good = issue_token(analyst)
    client = Client()
    for attempt in range(2):
        response = client.get("/api/me", headers={"Authorization": f"Bearer vz_bad_{attempt}"})
        assert response.status_code == 401
    # Two failures of three: the right token still signs in (no login resets a token's count).
    assert client.get("/api/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    third = client.get("/api/me", headers={"Authorization": "Bearer vz_bad_2"})
    assert third.status_code == 429
    assert client.get("/api/me", headers={"Authorization": f"Bearer {good}"}).status_code == 429


def test_a_locked_out_address_signs_in_again_after_the_cool_off(analyst: User) -> None:
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.conf import settings

    good = issue_token(analyst)
    client = Client()
    for attempt in range(3):
        client.get("/api/me", headers={"Authorization": f"Bearer vz_bad_{attempt}"})
    assert client.get("/api/me", headers={"Authorization": f"Bearer {good}"}).status_code == 429
    # The attempts as the cool-off later finds them: older than it.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = client.get("/api/me", headers={"Authorization": f"Bearer {good}"})
    assert response.status_code == 200 and response.json()["username"] == "ana"

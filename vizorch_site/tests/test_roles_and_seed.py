"""Roles exist after migrating; seed_demo creates the demo users once, in their roles."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_migrations_create_the_three_roles() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"Analyst", "Curator", "Viewer"}


def test_seed_demo_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIZORCH_DEMO_PASSWORD", "seed-pass-123")
    first = StringIO()
    call_command("seed_demo", "--no-data", stdout=first)
    call_command("seed_demo", "--no-data", stdout=StringIO())
    assert "Created demo user analyst" in first.getvalue()
    users = {
        u.username: u for u in User.objects.filter(username__in=["analyst", "curator", "viewer"])
    }
    assert len(users) == 3 and User.objects.count() == 3
    for username, role in [("analyst", "Analyst"), ("curator", "Curator"), ("viewer", "Viewer")]:
        assert list(users[username].groups.values_list("name", flat=True)) == [role]
        assert users[username].check_password("seed-pass-123")
    assert users["curator"].is_staff and not users["viewer"].is_staff


def test_seed_demo_prints_generated_passwords_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIZORCH_DEMO_PASSWORD", raising=False)
    first, second = StringIO(), StringIO()
    call_command("seed_demo", "--no-data", stdout=first)
    call_command("seed_demo", "--no-data", stdout=second)
    lines = [line for line in first.getvalue().splitlines() if "analyst" in line]
    password = lines[0].rsplit(" ", 1)[1]
    assert User.objects.get(username="analyst").check_password(password)
    assert "password" not in second.getvalue()

"""Optimistic concurrency: a change based on a stale version is refused with 409 and the current
version, so two editors never silently overwrite each other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from templates_app import services
from templates_app.errors import VersionConflict
from templates_app.models import Template
from templates_app.tests.conftest import client_for, error_of, send_json


def test_stale_patch_is_409_with_the_current_version_and_loses_nothing(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    url = f"/api/templates/{template.pk}"
    alice, bob = client_for(analyst), client_for(analyst)
    first = send_json(alice, "patch", url, {"title": "Alice's title", "version": 1})
    assert first.status_code == 200
    stale = send_json(bob, "patch", url, {"description": "Bob's words"}, **{"If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert stale.json()["detail"] == {"current_version": 2}
    assert stale.headers["ETag"] == '"2"'
    template.refresh_from_db()
    assert (template.title, template.description, template.version) == ("Alice's title", "", 2)
    retried = send_json(bob, "patch", url, {"description": "Bob's words"}, **{"If-Match": '"2"'})
    assert retried.status_code == 200
    template.refresh_from_db()
    assert (template.title, template.description, template.version) == (
        "Alice's title",
        "Bob's words",
        3,
    )


def test_if_match_wins_over_the_body_version(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    response = send_json(
        client_for(analyst),
        "patch",
        f"/api/templates/{template.pk}",
        {"title": "x", "version": 1},
        **{"If-Match": '"7"'},
    )
    assert error_of(response) == (409, "version_conflict")


def test_the_conditional_update_refuses_a_version_changed_underneath(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    services.update_template(template.pk, analyst, {"title": "first"}, expected_version=1)
    with pytest.raises(VersionConflict) as refused:
        services.update_template(template.pk, analyst, {"title": "second"}, expected_version=1)
    assert refused.value.current_version == 2
    assert Template.objects.get(pk=template.pk).title == "first"


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_on_postgres_let_exactly_one_win(
    postgres_url: str, make_user: Callable[..., User], make_template: Callable[..., Template]
) -> None:
    assert connection.vendor == "postgresql"
    editor = make_user("editor", "Analyst")
    template = make_template(owner=editor)
    url = f"/api/templates/{template.pk}"
    clients = [client_for(editor) for _ in range(6)]
    start = threading.Barrier(len(clients))
    outcomes: dict[int, Any] = {}

    def patch(n: int) -> None:
        try:
            start.wait()
            response = send_json(clients[n], "patch", url, {"title": f"title {n}", "version": 1})
            outcomes[n] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [n for n, status in outcomes.items() if status == 200]
    assert len(winners) == 1, outcomes
    assert sorted(outcomes.values()) == [200] + [409] * (len(clients) - 1)
    template.refresh_from_db()
    assert template.version == 2 and template.title == f"title {winners[0]}"
    assert template.versions.count() == 2

"""Every change leaves a version row; restoring one makes its content current as a new version."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User

from templates_app.models import Template
from templates_app.tests.conftest import client_for, error_of, send_json


def test_each_change_is_a_version_with_author_and_content(
    analyst: User, curator: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    url = f"/api/templates/{template.pk}"
    send_json(client_for(analyst), "patch", url, {"generated_sql": "SELECT 2 AS two", "version": 1})
    send_json(client_for(curator), "patch", url, {"status": "published", "version": 2})
    versions = client_for(analyst).get(f"{url}/versions").json()
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["author"] for v in versions] == ["cora", "ana", "ana"]
    assert versions[2]["generated_sql"].startswith("SELECT region")
    assert versions[1]["generated_sql"] == "SELECT 2 AS two"
    assert versions[0]["status"] == "published"


def test_a_change_that_changes_nothing_keeps_the_version(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    response = send_json(
        client_for(analyst),
        "patch",
        f"/api/templates/{template.pk}",
        {"title": template.title, "version": 1},
    )
    assert response.json()["version"] == 1
    assert template.versions.count() == 1


def test_restore_brings_back_old_content_as_a_new_version(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst, parameters={"chart_type": "bar"})
    url = f"/api/templates/{template.pk}"
    client = client_for(analyst)
    send_json(
        client, "patch", url, {"parameters": {"chart_type": "pie"}, "title": "Pie", "version": 1}
    )
    response = client.post(f"{url}/restore/1")
    assert response.status_code == 200, response.content
    restored = response.json()
    assert restored["version"] == 3
    assert restored["parameters"] == {"chart_type": "bar"}
    assert restored["title"] == "Sales by region"
    versions = client.get(f"{url}/versions").json()
    assert versions[0]["change"] == "restored version 1"
    assert error_of(client.post(f"{url}/restore/99")) == (404, "version_not_found")


def test_restore_with_a_stale_if_match_is_409(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    url = f"/api/templates/{template.pk}"
    client = client_for(analyst)
    send_json(client, "patch", url, {"title": "two", "version": 1})
    response = client.post(f"{url}/restore/1", headers={"If-Match": '"1"'})
    assert error_of(response) == (409, "version_conflict")
    assert Template.objects.get(pk=template.pk).title == "two"


def test_viewer_cannot_restore(
    analyst: User, viewer: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst, status="published")
    url = f"/api/templates/{template.pk}"
    send_json(client_for(analyst), "patch", url, {"title": "two", "version": 1})
    assert error_of(client_for(viewer).post(f"{url}/restore/1")) == (403, "forbidden")
    assert client_for(viewer).get(f"{url}/versions").status_code == 200

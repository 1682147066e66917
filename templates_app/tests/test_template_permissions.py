"""The permission matrix: 3 roles x 4 relations to a template x 7 actions, through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from templates_app.models import ShareRole, Template
from templates_app.tests.conftest import client_for, error_of, send_json, share

ROLES = ("Viewer", "Analyst", "Curator")
RELATIONS = ("owner", "shared_viewer", "shared_editor", "stranger")

Y, NO, HIDDEN = "allowed", "forbidden", "hidden"
# action: list, get, patch, delete, share, refresh, publish
EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("Curator", "owner"): (Y, Y, Y, Y, Y, Y, Y),
    ("Curator", "shared_viewer"): (Y, Y, Y, Y, Y, Y, Y),
    ("Curator", "shared_editor"): (Y, Y, Y, Y, Y, Y, Y),
    ("Curator", "stranger"): (Y, Y, Y, Y, Y, Y, Y),
    ("Analyst", "owner"): (Y, Y, Y, Y, Y, Y, NO),
    ("Analyst", "shared_viewer"): (Y, Y, NO, NO, NO, Y, NO),
    ("Analyst", "shared_editor"): (Y, Y, Y, Y, NO, Y, NO),
    ("Analyst", "stranger"): (HIDDEN,) * 7,
    ("Viewer", "owner"): (Y, Y, NO, NO, NO, Y, NO),
    ("Viewer", "shared_viewer"): (Y, Y, NO, NO, NO, Y, NO),
    ("Viewer", "shared_editor"): (Y, Y, NO, NO, NO, Y, NO),
    ("Viewer", "stranger"): (HIDDEN,) * 7,
}
ACTIONS = ("list", "get", "patch", "delete", "share", "refresh", "publish")
CASES = [
    pytest.param(
        role, relation, action, EXPECTED[role, relation][i], id=f"{role}-{relation}-{action}"
    )
    for role in ROLES
    for relation in RELATIONS
    for i, action in enumerate(ACTIONS)
]
STATUS = {
    "get": (200, 403, 404),
    "patch": (200, 403, 404),
    "delete": (204, 403, 404),
    "share": (200, 403, 404),
    "refresh": (200, 403, 404),
    "publish": (200, 403, 404),
}


def _act(user: User, template: Template, action: str) -> Any:
    client = client_for(user)
    url = f"/api/templates/{template.pk}"
    if action == "get":
        return client.get(url)
    if action == "patch":
        return send_json(client, "patch", url, {"title": "Renamed", "version": template.version})
    if action == "delete":
        return client.delete(url)
    if action == "share":
        return send_json(client, "put", f"{url}/shares", {"shares": [], "visibility": "shared"})
    if action == "refresh":
        return client.post(f"{url}/refresh")
    if action == "publish":
        return send_json(client, "patch", url, {"status": "published", "version": template.version})
    raise AssertionError(action)


@pytest.mark.parametrize(("role", "relation", "action", "expected"), CASES)
def test_permission_matrix(
    role: str,
    relation: str,
    action: str,
    expected: str,
    make_user: Callable[..., User],
    make_template: Callable[..., Template],
    engines: None,
) -> None:
    user = make_user("subject", role)
    someone = make_user("someone", "Analyst")
    template = make_template(owner=user if relation == "owner" else someone, visibility="shared")
    if relation == "shared_viewer":
        share(template, user, ShareRole.VIEWER)
    elif relation == "shared_editor":
        share(template, user, ShareRole.EDITOR)

    if action == "list":
        listed = client_for(user).get("/api/templates").json()
        ids = [item["id"] for item in listed["items"]]
        assert (str(template.pk) in ids) == (expected == Y)
        assert listed["total"] == len(ids)
        return

    response = _act(user, template, action)
    allowed, forbidden, hidden = STATUS[action]
    wanted = {Y: allowed, NO: forbidden, HIDDEN: hidden}[expected]
    assert response.status_code == wanted, response.content
    if expected == HIDDEN:
        assert response.json()["code"] == "not_found"
    exists = Template.objects.filter(pk=template.pk).exists()
    assert exists == (action != "delete" or expected != Y)
    template_after = Template.objects.filter(pk=template.pk).first()
    if action in ("patch", "publish") and expected != Y:
        assert template_after is not None and template_after.version == template.version
    if action == "publish" and expected == Y:
        assert template_after is not None and template_after.status == "published"


def test_published_templates_are_seen_by_every_role_but_not_by_users_without_one(
    make_user: Callable[..., User], make_template: Callable[..., Template]
) -> None:
    owner = make_user("owner", "Analyst")
    published = make_template(owner=owner, status="published")
    no_role = make_user("nobody")
    for role in ROLES:
        user = make_user(f"a-{role}", role)
        assert client_for(user).get(f"/api/templates/{published.pk}").status_code == 200
    assert error_of(client_for(no_role).get(f"/api/templates/{published.pk}")) == (
        404,
        "not_found",
    )


def test_shares_do_not_apply_to_a_private_template(
    make_user: Callable[..., User], make_template: Callable[..., Template]
) -> None:
    owner = make_user("owner", "Analyst")
    reader = make_user("reader", "Viewer")
    template = make_template(owner=owner, visibility="private")
    share(template, reader)
    assert error_of(client_for(reader).get(f"/api/templates/{template.pk}")) == (404, "not_found")


def test_group_share_grants_every_member(
    make_user: Callable[..., User], make_template: Callable[..., Template]
) -> None:
    from django.contrib.auth.models import Group

    owner = make_user("owner", "Analyst")
    team = Group.objects.create(name="Finance")
    member = make_user("member", "Analyst")
    member.groups.add(team)
    template = make_template(owner=owner, visibility="shared")
    share(template, team, ShareRole.EDITOR)
    client = client_for(member)
    body = client.get(f"/api/templates/{template.pk}").json()
    assert body["can_edit"] is True and body["can_share"] is False
    assert body["owner"] == "owner"


def test_archived_template_is_hidden_from_everyone_but_owner_and_curators(
    make_user: Callable[..., User], make_template: Callable[..., Template]
) -> None:
    owner = make_user("owner", "Analyst")
    reader = make_user("reader", "Viewer")
    curator = make_user("cur", "Curator")
    template = make_template(owner=owner, visibility="organization", status="archived")
    share(template, reader)
    assert error_of(client_for(reader).get(f"/api/templates/{template.pk}")) == (404, "not_found")
    assert client_for(owner).get(f"/api/templates/{template.pk}").status_code == 200
    assert client_for(curator).get(f"/api/templates/{template.pk}").status_code == 200


def test_anonymous_callers_get_401(make_template: Callable[..., Template]) -> None:
    template = make_template(status="published")
    unauthenticated = (401, "unauthenticated")
    assert error_of(client_for(None).get(f"/api/templates/{template.pk}")) == unauthenticated
    assert error_of(client_for(None).get("/api/templates")) == unauthenticated

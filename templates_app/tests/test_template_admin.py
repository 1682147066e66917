"""Curation in Django admin, driven with the test client: actions and the import page work for a
curator and are refused for an analyst."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from templates_app.models import Template
from templates_app.tests.conftest import record

CHANGELIST = "/admin/templates_app/template/"
IMPORT = "/admin/templates_app/template/import/"


def _action(client: Client, action: str, templates: list[Template]) -> Any:
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(t.pk) for t in templates]},
    )


@pytest.fixture
def curator_client(curator: User) -> Client:
    client = Client()
    client.force_login(curator)
    return client


def test_changelist_lists_filters_and_searches(
    curator_client: Client, analyst: User, make_template: Callable[..., Template]
) -> None:
    make_template(owner=analyst, title="Revenue trend", status="published")
    make_template(owner=analyst, title="Top products")
    page = curator_client.get(CHANGELIST)
    assert page.status_code == 200
    assert b"Revenue trend" in page.content and b"Import templates" in page.content
    filtered = curator_client.get(CHANGELIST, {"status__exact": "published"})
    assert b"Revenue trend" in filtered.content and b"Top products" not in filtered.content
    searched = curator_client.get(CHANGELIST, {"q": "products"})
    assert b"Top products" in searched.content and b"Revenue trend" not in searched.content


def test_change_page_shows_a_read_only_preview_and_history(
    curator_client: Client, analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    page = curator_client.get(f"{CHANGELIST}{template.pk}/change/")
    assert page.status_code == 200
    assert b"Preview (read-only)" in page.content
    assert b"export default function Viz" in page.content
    assert b"created" in page.content  # the version inline
    assert b'<iframe id="vz-preview" src="/sandbox/" sandbox="allow-scripts"' in page.content


def test_preview_escapes_code_that_tries_to_leave_its_script_tag(
    curator_client: Client, make_template: Callable[..., Template]
) -> None:
    hostile = "export default function Viz() { return null }\n</script><script>alert(1)</script>"
    template = make_template(ui_code=hostile)
    page = curator_client.get(f"{CHANGELIST}{template.pk}/change/")
    assert page.status_code == 200
    assert b"<script>alert(1)" not in page.content


def test_publish_feature_unfeature_archive_actions(
    curator_client: Client, curator: User, make_template: Callable[..., Template]
) -> None:
    one, two = make_template(title="one"), make_template(title="two")
    assert _action(curator_client, "publish", [one, two]).status_code == 302
    assert set(Template.objects.values_list("status", flat=True)) == {"published"}
    _action(curator_client, "feature", [one])
    assert Template.objects.get(pk=one.pk).featured is True
    _action(curator_client, "unfeature", [one])
    assert Template.objects.get(pk=one.pk).featured is False
    _action(curator_client, "archive", [two])
    two.refresh_from_db()
    assert two.status == "archived" and two.version == 3
    assert two.versions.first() is not None and two.versions.first().author == curator  # type: ignore[union-attr]


def test_export_action_downloads_json(
    curator_client: Client, make_template: Callable[..., Template]
) -> None:
    template = make_template()
    response = _action(curator_client, "export_json", [template])
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="templates.json"'
    assert [r["id"] for r in json.loads(response.content)] == [str(template.pk)]


def test_saving_the_change_form_bumps_the_version(
    curator_client: Client, make_template: Callable[..., Template]
) -> None:
    template = make_template()
    form = {
        "title": "Edited in admin",
        "description": "",
        "tags": "[]",
        "owner": "",
        "status": "draft",
        "visibility": "private",
        "prompt": template.prompt,
        "generated_sql": template.generated_sql,
        "ui_code": template.ui_code,
        "parameters": json.dumps(template.parameters),
        "data_source": "duckdb",
        "engine": "local",
        "data_url": "",
        "shares-TOTAL_FORMS": "0",
        "shares-INITIAL_FORMS": "0",
        "versions-TOTAL_FORMS": "1",
        "versions-INITIAL_FORMS": "1",
    }
    response = curator_client.post(f"{CHANGELIST}{template.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    template.refresh_from_db()
    assert (template.title, template.version) == ("Edited in admin", 2)
    form["generated_sql"] = "COPY region_sales TO 'x.csv'"
    refused = curator_client.post(f"{CHANGELIST}{template.pk}/change/", form)
    assert refused.status_code == 200 and b"COPY is not allowed" in refused.content
    template.refresh_from_db()
    assert template.version == 2


def test_import_page_dry_run_then_confirm(curator_client: Client, curator: User) -> None:
    records = [record(), record()]
    upload = io.BytesIO(json.dumps(records).encode())
    upload.name = "templates.json"
    page = curator_client.post(IMPORT, {"file": upload, "on_conflict": "skip"})
    assert page.status_code == 200
    assert b"Dry run: 2 to create" in page.content
    assert page.content.count(b'class="import-create"') == 2
    assert not Template.objects.exists()
    token = page.context["token"]
    done = curator_client.post(IMPORT, {"token": token, "on_conflict": "skip"})
    assert done.status_code == 302
    assert Template.objects.count() == 2
    assert set(Template.objects.values_list("owner", flat=True)) == {curator.pk}
    replay = curator_client.post(IMPORT, {"token": token, "on_conflict": "skip"})
    assert replay.status_code == 302 and Template.objects.count() == 2


def test_import_page_shows_bad_records_and_offers_no_confirm(curator_client: Client) -> None:
    upload = io.BytesIO(json.dumps([record(), record(generated_sql="ATTACH 'x'")]).encode())
    upload.name = "bad.json"
    page = curator_client.post(IMPORT, {"file": upload, "on_conflict": "skip"})
    assert page.status_code == 200
    assert b"ATTACH is not allowed" in page.content
    assert b"Confirm import" not in page.content
    assert not Template.objects.exists()


def test_analyst_is_refused_admin_and_import_page(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    client = Client()
    client.force_login(analyst)
    for url in (CHANGELIST, IMPORT, f"{CHANGELIST}{template.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert _action(client, "publish", [template]).status_code == 302
    assert Template.objects.get(pk=template.pk).status == "draft"
    # Staff without the curator role: still refused.
    analyst.is_staff = True
    analyst.save()
    client.force_login(analyst)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(IMPORT).status_code == 403
    upload = io.BytesIO(json.dumps([record()]).encode())
    upload.name = "t.json"
    assert client.post(IMPORT, {"file": upload}).status_code == 403
    assert _action(client, "publish", [template]).status_code == 403
    assert Template.objects.get(pk=template.pk).status == "draft"
    assert Template.objects.count() == 1

"""A template's picture of its chart: stored with the current version through the API, served to
whoever may see the template, filled in by a viewer only while missing, typed errors otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import override_settings

from templates_app.models import Status, Template, Visibility
from templates_app.tests.conftest import client_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _put(user: Any, template: Template, body: bytes) -> Any:
    return client_for(user).put(
        f"/api/templates/{template.pk}/thumbnail", data=body, content_type="image/png"
    )


def test_the_owner_stores_a_picture_that_the_template_then_shows(
    analyst: Any, make_template: Callable[..., Template]
) -> None:
    template = make_template(analyst)
    assert client_for(analyst).get(f"/api/templates/{template.pk}").json()["thumbnail_url"] is None
    assert _put(analyst, template, PNG).status_code == 204
    body = client_for(analyst).get(f"/api/templates/{template.pk}").json()
    assert body["thumbnail_current"] is True
    served = client_for(analyst).get(body["thumbnail_url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served.content == PNG


def test_a_viewer_fills_in_a_missing_picture_but_never_replaces_one(
    analyst: Any, viewer: Any, make_template: Callable[..., Template]
) -> None:
    template = make_template(analyst, status=Status.PUBLISHED, visibility=Visibility.ORGANIZATION)
    assert _put(viewer, template, PNG).status_code == 204
    again = _put(viewer, template, PNG + b"\x01")
    assert again.status_code == 403 and again.json()["code"] == "thumbnail_forbidden"
    assert _put(analyst, template, PNG + b"\x01").status_code == 204


def test_whoever_cannot_see_the_template_gets_not_found(
    analyst: Any, viewer: Any, make_template: Callable[..., Template]
) -> None:
    template = make_template(analyst)  # private draft
    assert _put(viewer, template, PNG).status_code == 404
    assert _put(analyst, template, PNG).status_code == 204
    hidden = client_for(viewer).get(f"/api/templates/{template.pk}/thumbnail")
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"


def test_a_picture_that_is_not_a_png_or_too_large_is_refused_with_a_typed_error(
    analyst: Any, make_template: Callable[..., Template]
) -> None:
    template = make_template(analyst)
    wrong = _put(analyst, template, b"<svg/>")
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_thumbnail"
    with override_settings(VIZORCH_THUMBNAIL_MAX_BYTES=32):
        big = _put(analyst, template, PNG)
    assert big.status_code == 413 and big.json()["code"] == "thumbnail_too_large"
    missing = client_for(analyst).get(f"/api/templates/{template.pk}/thumbnail")
    assert missing.status_code == 404 and missing.json()["code"] == "thumbnail_not_found"

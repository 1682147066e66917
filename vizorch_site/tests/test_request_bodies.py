"""A request's body reaches Vizorch as it was sent: the web server (daphne on Twisted) does not
parse forms on its own, so a body it could not parse gets Vizorch's typed error, and a form's
fields arrive whole (vizorch_site/web_process.py)."""

from __future__ import annotations

import httpx
import pytest

from vizorch_site.testing import LiveServer

IMPORT = "/api/templates/import"


@pytest.fixture(scope="module")
def token(live_server: LiveServer) -> str:
    return live_server.api_token("analyst")


def test_a_multipart_body_without_a_boundary_gets_a_typed_error(
    live_server: LiveServer, token: str
) -> None:
    response = httpx.post(
        f"{live_server.url}{IMPORT}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data"},
        content=b'{"templates": []}',
    )
    # Twisted answered this itself: an empty 400 with no Content-Type, connection dropped.
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "bad_request"
    assert "multipart" in body["message"]


def test_an_uploaded_file_and_an_url_encoded_form_arrive_whole(live_server: LiveServer) -> None:
    curator = live_server.api_token("curator")
    with httpx.Client(base_url=live_server.url) as client:
        # A dry run of an import file (multipart: a file and a field): read whole and answered.
        dry_run = client.post(
            IMPORT,
            headers={"Authorization": f"Bearer {curator}"},
            data={"dry_run": "true"},
            files={"file": ("none.json", b'{"templates": []}', "application/json")},
        )
        assert dry_run.status_code == 200, dry_run.text
        assert dry_run.json()["dry_run"] is True
        # The sign-in form (url-encoded) signs the analyst in.
        live_server.login(client, "analyst")
        me = client.get("/api/me")
        assert me.status_code == 200
        assert me.json()["username"] == "analyst"

"""The portal page is served by django-vite from the built front end; the sandbox page is locked
down by its own CSP."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def _manifest() -> dict[str, dict[str, str]]:
    path = settings.FRONTEND_DIST / "manifest.json"
    assert path.exists(), "build the front end first (make setup-frontend)"
    manifest: dict[str, dict[str, str]] = json.loads(path.read_text())
    return manifest


def test_portal_references_the_built_assets(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    entry = _manifest()["src/main.tsx"]["file"]
    assert f'src="/static/{entry}"' in html
    boot = re.search(r'<script id="vizorch-boot" type="application/json">(.*?)</script>', html)
    assert boot is not None
    assert json.loads(boot[1])["user"] == {"username": "ana", "roles": ["Analyst"]}


def test_built_assets_are_served(client: Client, analyst: User) -> None:
    entry = _manifest()["src/main.tsx"]["file"]
    response = client.get(f"/static/{entry}")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_sandbox_page_has_a_strict_csp(client: Client) -> None:
    response = client.get("/sandbox/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "connect-src 'none'" in csp
    assert "default-src 'none'" in csp
    assert "frame-src 'none'" in csp and "form-action 'none'" in csp
    # Our own API is not a source of anything: scripts and styles come from the static prefix.
    assert "script-src http://testserver/static/ 'unsafe-eval'" in csp
    assert "img-src data: blob:" in csp
    assert "sandbox allow-scripts" in csp
    entry = _manifest()["src/sandbox/main.tsx"]["file"]
    assert f"/static/{entry}" in response.content.decode()


def test_sandbox_csp_opens_only_for_the_vite_dev_server_in_dev_mode() -> None:
    from vizorch_site.views import sandbox_csp

    production = sandbox_csp(static_source="https://example.org/static/")
    assert "unsafe-inline" not in production.split("style-src")[0]
    development = sandbox_csp(
        static_source="https://example.org/static/", vite_dev_server="http://localhost:5173"
    )
    assert "script-src 'self' 'unsafe-eval' 'unsafe-inline' http://localhost:5173" in development
    assert "connect-src http://localhost:5173 ws://localhost:5173" in development


@pytest.mark.parametrize(
    ("accepted", "encoding"), [("br, gzip", "br"), ("gzip", "gzip"), ("", None)]
)
def test_built_assets_are_sent_compressed_when_the_browser_accepts_it(
    client: Client, accepted: str, encoding: str | None
) -> None:
    """The build writes .br/.gz copies (frontend/scripts/precompress.mjs); whitenoise sends the
    one the browser accepts, with `Content-Encoding`, and the plain file to anyone else."""
    entry = _manifest()["src/sandbox/main.tsx"]["file"]
    plain = (settings.FRONTEND_DIST / entry).read_bytes()
    response = client.get(f"/static/{entry}", HTTP_ACCEPT_ENCODING=accepted)
    assert response.status_code == 200
    assert response.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response["Vary"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    if encoding is None:
        assert body == plain
    else:
        assert len(body) < len(plain) / 2
    if encoding == "gzip":
        assert gzip.decompress(body) == plain

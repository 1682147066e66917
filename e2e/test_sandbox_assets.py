"""Issue 13, finding 10: the sandbox frame's assets as real Chromium gets them from daphne. Every
script and style the frame loads is the build's fingerprinted file, sent Brotli-compressed when the
build wrote a .br copy, cached for good, and readable from the frame's opaque origin (its module
scripts are CORS requests); the sandbox document keeps its own locked-down headers; a file the build
did not write is a 404 that no cache keeps."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Response, expect

from e2e.helpers import UI_TIMEOUT_MS, sandbox, sign_in_page
from vizorch_site.testing import LiveServer
from vizorch_site.views import sandbox_csp

pytestmark = pytest.mark.e2e

ONE_YEAR_S = 365 * 24 * 3600


def _frame_entry_files() -> set[str]:
    """The sandbox entry, its runtime chunk and every chunk they import, as the manifest names
    them (the frame loads all of these before it can render)."""
    manifest = json.loads((settings.FRONTEND_DIST / "manifest.json").read_text())
    files: set[str] = set()
    pending = ["src/sandbox/main.tsx", "src/sandbox/runtime.ts"]
    while pending:
        chunk = manifest[pending.pop()]
        if chunk["file"] not in files:
            files.add(chunk["file"])
            files.update(chunk.get("css", []))
            pending.extend(chunk.get("imports", []))
    return files


def test_the_frame_gets_its_assets_compressed_and_cached_for_good(
    live_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    context = new_context()
    responses: list[Response] = []
    context.on("response", lambda response: responses.append(response))
    page = sign_in_page(context, live_server, "analyst")
    expect(sandbox(page).get_by_text("Waiting for a component")).to_be_attached(
        timeout=UI_TIMEOUT_MS
    )

    static = f"{live_server.url}/static/"
    document = next(r for r in responses if r.url == f"{live_server.url}/sandbox/")
    assets = {
        r.url.removeprefix(static): r
        for r in responses
        if r.url.startswith(static) and r.frame.url == document.url
    }
    assert _frame_entry_files() <= set(assets), sorted(assets)
    for name, response in assets.items():
        headers = response.all_headers()
        assert response.status == 200, name
        cache = headers["cache-control"]
        assert "immutable" in cache and "public" in cache, (name, cache)
        max_age = next(int(d.split("=")[1]) for d in cache.split(", ") if d.startswith("max-age="))
        assert max_age >= ONE_YEAR_S, (name, cache)
        assert headers["access-control-allow-origin"] == "*", name
        assert headers["x-content-type-options"] == "nosniff", name
        precompressed = (settings.FRONTEND_DIST / f"{name}.br").exists()
        assert headers.get("content-encoding") == ("br" if precompressed else None), name
        assert "accept-encoding" in headers.get("vary", "").lower() or not precompressed, name
        assert response.body() == (settings.FRONTEND_DIST / name).read_bytes(), name

    # The sandbox document itself: its CSP and isolation headers, and never cached for good.
    headers = document.all_headers()
    assert headers["content-security-policy"] == sandbox_csp(static_source=static)
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert headers["x-dns-prefetch-control"] == "off"
    assert "immutable" not in headers.get("cache-control", "")


def test_a_file_the_build_did_not_write_is_not_found(live_server: LiveServer) -> None:
    entry = json.loads((settings.FRONTEND_DIST / "manifest.json").read_text())[
        "src/sandbox/main.tsx"
    ]["file"]
    stem, _, suffix = entry.rpartition(".")
    missing = f"{stem[:-8]}00000000.{suffix}"  # the entry's name with another fingerprint
    assert not (settings.FRONTEND_DIST / missing).exists()
    response = httpx.get(
        f"{live_server.url}/static/{missing}", headers={"Accept-Encoding": "br"}, timeout=30
    )
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")
    assert response.headers.get("content-encoding") is None

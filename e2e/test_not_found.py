"""Issue 13, finding 11: an unknown address shows the portal's own not-found page (with a way
back), never the framework's; under /api/ it is a typed JSON 404."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", ["/no/such/page", "/app/nothing-here"])
def test_an_unknown_address_shows_the_portals_not_found_page(
    live_server: LiveServer, sign_in: Callable[[str], Page], path: str
) -> None:
    page = sign_in("analyst")
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 404
    view = page.get_by_test_id("not-found")
    expect(view).to_be_visible()
    expect(view).to_contain_text("This page does not exist")
    expect(view).to_contain_text(path)
    assert "URLconf" not in page.content()
    # The header is there and the page leads back.
    page.get_by_role("button", name="Browse templates").click()
    expect(page).to_have_url(f"{live_server.url}/app/templates")
    page.go_back()
    expect(page.get_by_test_id("not-found")).to_be_visible()


def test_an_unknown_api_address_is_a_typed_json_404(
    live_server: LiveServer, api_tokens: Callable[[str], str]
) -> None:
    response = httpx.get(
        f"{live_server.url}/api/no/such/thing",
        headers={"Authorization": f"Bearer {api_tokens('analyst')}"},
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_missing_trailing_slash_still_finds_the_page(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/login", follow_redirects=True)
    assert response.status_code == 200
    assert 'name="username"' in response.text

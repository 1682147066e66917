"""Issue 13, finding 1: an analyst can sign out, with the mouse or the keyboard, and a typed
/logout/ is no dead end."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import UI_TIMEOUT_MS
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e


def _expect_signed_out(page: Page, live_server: LiveServer) -> None:
    page.wait_for_url(re.compile(r"/login/"), timeout=UI_TIMEOUT_MS)
    # The session is over: the portal asks to sign in again.
    page.goto(f"{live_server.url}/")
    expect(page.locator("input[name=username]")).to_be_visible()


def test_sign_out_from_the_user_menu_with_the_mouse(
    live_server: LiveServer, sign_in: Callable[[str], Page]
) -> None:
    page = sign_in("analyst")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    _expect_signed_out(page, live_server)


def test_sign_out_from_the_user_menu_with_the_keyboard(
    live_server: LiveServer, sign_in: Callable[[str], Page]
) -> None:
    page = sign_in("analyst")
    page.get_by_test_id("user-menu").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sign-out")).to_be_visible()
    # The menu's items: the label lines are not focusable, Sign out is the one item.
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("sign-out")).to_be_focused()
    page.keyboard.press("Enter")
    _expect_signed_out(page, live_server)


def test_a_typed_logout_address_asks_to_confirm_and_signs_out(
    live_server: LiveServer, sign_in: Callable[[str], Page]
) -> None:
    page = sign_in("analyst")
    response = page.goto(f"{live_server.url}/logout/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name="Sign out of Vizorch?")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    _expect_signed_out(page, live_server)
    # Signed out, the same address leads to the sign-in page rather than a 405.
    response = page.goto(f"{live_server.url}/logout/")
    assert response is not None and response.status == 200
    expect(page.locator("input[name=username]")).to_be_visible()

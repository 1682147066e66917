"""Issue 13, finding 9: a new install's gallery is not empty. seed_demo saved the demo's featured
questions, answered by the offline analyst as the curator, as published and featured templates;
their cards show a real picture of each chart, drawn by the browser's sandbox on first view and
stored with the template's version. Seeding again adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from e2e.helpers import RUN_TIMEOUT_MS, UI_TIMEOUT_MS, Api
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

GALLERY = Path(__file__).resolve().parent.parent / "executors" / "demo_gallery.yaml"


def _featured_questions() -> list[str]:
    data = yaml.safe_load(GALLERY.read_text(encoding="utf-8"))
    return [str(entry["question"]) for entry in data["featured_questions"]]


def _seeded(api: Api) -> list[dict[str, object]]:
    questions = set(_featured_questions())
    listed = api.client.get("/api/templates", params={"featured": "true", "page_size": 100})
    assert listed.status_code == 200, listed.text
    return [t for t in listed.json()["items"] if t["prompt"] in questions]


def test_a_fresh_gallery_shows_the_featured_templates_with_pictures_of_their_charts(
    live_server: LiveServer, sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    questions = _featured_questions()
    assert 4 <= len(questions) <= 6
    # As `make run` does on a new install (test servers skip the gallery unless asked).
    live_server.manage("seed_demo")
    seeded = _seeded(api_as("viewer"))
    assert sorted(str(t["prompt"]) for t in seeded) == sorted(questions)
    assert all(t["status"] == "published" and t["owner"] == "curator" for t in seeded)

    page = sign_in("viewer")
    page.get_by_test_id("nav-templates").click()
    page.get_by_test_id("filter-featured").click()
    pictures: dict[str, bytes] = {}
    for template in seeded:
        card = page.locator(f"[data-testid=template-card][data-template-id='{template['id']}']")
        expect(card).to_be_visible(timeout=UI_TIMEOUT_MS)
        picture = card.get_by_test_id("template-thumbnail")
        # Drawn in the sandbox once the card is first shown, then stored and served.
        expect(picture).to_be_visible(timeout=RUN_TIMEOUT_MS)
        expect(picture).to_have_js_property("complete", True)
        assert picture.evaluate("(img) => img.naturalWidth") > 600
        src = picture.get_attribute("src") or ""
        served = page.request.get(f"{live_server.url}{src}")
        assert served.status == 200 and served.headers["content-type"] == "image/png"
        pictures[str(template["id"])] = served.body()
    # A picture of each chart, not one placeholder for all.
    assert len(set(pictures.values())) == len(seeded)

    # The pictures belong to the templates' versions: the API says so to every client.
    for template in _seeded(api_as("analyst")):
        assert template["thumbnail_current"] is True, template

    # Seeding again changes nothing.
    live_server.manage("seed_demo")
    again = _seeded(api_as("viewer"))
    assert sorted(str(t["id"]) for t in again) == sorted(pictures)

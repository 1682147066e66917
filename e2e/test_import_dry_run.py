"""Issue 13, finding 11: the import dry run (admin) names each record by its title and lists every
reason it is refused: a badly typed field does not hide a DELETE in its SQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, FilePayload, expect

from e2e.helpers import UI_TIMEOUT_MS, sign_in_page, unique
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e


def test_the_dry_run_lists_every_reason_and_the_record_title(
    live_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    page = sign_in_page(new_context(), live_server, "curator")
    title = unique("Quarterly sales")
    record = {
        "id": str(uuid.uuid4()),
        "title": title,
        "prompt": "Quarterly sales",
        "data_source": "duckdb",
        "data_url": None,
        "generated_sql": "DELETE FROM orders",
        "ui_code": "export default function Viz() { return null; }",
        "parameters": ["not", "an", "object"],
    }
    page.goto(f"{live_server.url}/admin/templates_app/template/import/")
    upload: FilePayload = {
        "name": "templates.json",
        "mimeType": "application/json",
        "buffer": json.dumps([record]).encode(),
    }
    page.set_input_files("#id_file", files=[upload])
    page.get_by_role("button", name="Check file (dry run)").click()
    row = page.locator("#import-report tbody tr").first
    expect(row).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(row.locator(".import-title")).to_have_text(title)
    reasons = row.locator(".import-reasons div")
    expect(reasons.filter(has_text="parameters")).to_have_count(1)
    expect(reasons.filter(has_text="DELETE")).to_have_count(1)

"""End to end over real HTTP against a live daphne server: an analyst asks a question, saves the
run as a template, shares it; the viewer opens it read-only, reads its data and refreshes it; a
curator exports it and re-imports the export without changing anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from templates_app.tests.conftest import error_of
from vizorch_site.testing import LiveServer

TIMEOUT = httpx.Timeout(120.0, connect=10.0)


@pytest.fixture(autouse=True)
def _live_server_helper() -> Iterator[None]:
    """pytest-django's autouse helper of this name expects its own live server; ours is daphne."""
    yield


def _client(server: LiveServer, username: str) -> httpx.Client:
    token = server.api_token(username)
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )


def _ask(client: httpx.Client, prompt: str) -> list[tuple[str, dict[str, Any]]]:
    with connect_sse(client, "POST", "/api/chat", json={"prompt": prompt}) as source:
        assert source.response.status_code == 200
        return [(sse.event, json.loads(sse.data)) for sse in source.iter_sse()]


def test_a_chat_run_saved_shared_opened_refreshed_exported_and_reimported(
    live_server: LiveServer,
) -> None:
    with (
        _client(live_server, "analyst") as analyst,
        _client(live_server, "viewer") as viewer,
        _client(live_server, "curator") as curator,
    ):
        events = _ask(analyst, "Show total sales by region")
        run_id = events[0][1]["run_id"]
        data_url = next(payload["url"] for event, payload in events if event == "data")

        saved = analyst.post(
            "/api/templates", json={"run_id": run_id, "title": "Sales by region", "tags": ["e2e"]}
        )
        assert saved.status_code == 201, saved.text
        template = saved.json()
        assert template["data_url"] == data_url and template["source_run_id"] == run_id
        assert "export default function Viz" in template["ui_code"]
        assert template["owner"] == "analyst" and template["can_edit"] is True
        url = f"/api/templates/{template['id']}"

        assert error_of(viewer.get(url)) == (404, "not_found")
        assert error_of(viewer.get(data_url)) == (404, "not_found")

        shared = analyst.put(f"{url}/shares", json={"shares": [{"user": "viewer"}]})
        assert shared.status_code == 200, shared.text
        opened = viewer.get(url).json()
        assert opened["can_edit"] is False and opened["visibility"] == "shared"
        assert opened["version"] == 2  # sharing a private template made it `shared`
        data = viewer.get(data_url)
        assert data.status_code == 200 and len(data.json()["rows"]) == 5
        refreshed = viewer.post(f"{url}/refresh")
        assert refreshed.status_code == 200, refreshed.text
        assert viewer.get(refreshed.json()["url"]).json() == data.json()
        edit = viewer.patch(url, json={"title": "mine now", "version": 2})
        assert error_of(edit) == (403, "forbidden")

        exported = curator.get(f"/api/templates/export?ids={template['id']}")
        assert exported.status_code == 200
        reimport = curator.post(
            "/api/templates/import",
            files={"file": ("templates.json", exported.content, "application/json")},
            data={"on_conflict": "update"},
        )
        assert reimport.status_code == 200, reimport.text
        report = reimport.json()
        assert (report["unchanged"], report["created"], report["written"]) == (1, 0, False)
        assert analyst.get(url).json()["version"] == 2

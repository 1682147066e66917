"""Issue 12, item 5: the portal is catalog-aware. The catalog panel beside the chat lists the
selected engine's tables and metrics and its search filters them; the suggested questions come
from the catalog, and clicking one asks it and renders a chart; with a second engine (a real
Quack server on other data) the engine selector switches the catalog and the suggestions."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.helpers import (
    FINISHED,
    RUN_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    Api,
    expect_complete,
    sandbox,
    screenshot,
    sign_in_page,
)
from executors import demo_data
from executors.testing.server_fixtures import running_quack_server
from vizorch_site.testing import LiveServer, running_server

pytestmark = pytest.mark.e2e


def _catalog(api: Api, engine: str) -> dict:
    response = api.client.get(f"/api/catalog?engine={engine}")
    response.raise_for_status()
    [entry] = response.json()["engines"]
    return entry


def _suggestions(api: Api, engine: str) -> list[str]:
    response = api.client.get(f"/api/suggestions?engine={engine}")
    response.raise_for_status()
    return response.json()["questions"]


def test_the_catalog_panel_lists_the_tables_and_metrics_and_search_filters_them(
    sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    catalog = _catalog(api_as("analyst"), "local")
    page = sign_in("analyst")
    panel = page.get_by_test_id("catalog-panel")
    expect(panel).to_be_visible()
    tables = panel.get_by_test_id("catalog-table-label")
    expect(tables).to_have_text([t["label"] for t in catalog["tables"]], timeout=UI_TIMEOUT_MS)
    expect(panel.get_by_test_id("catalog-metric")).to_have_count(len(catalog["metrics"]))
    for table in catalog["tables"]:
        expect(tables.filter(has_text=table["label"]).first).to_be_visible()
        if table["row_count"] is not None:
            expect(panel).to_contain_text(f"{table['row_count']:,} rows")
    # No engine to choose from: one engine, no selector.
    expect(page.get_by_test_id("engine-select")).to_have_count(0)

    # Opening a table shows its columns with readable names, roles and types.
    lines = next(t for t in catalog["tables"] if t["name"] == "order_items")
    column = next(c for c in lines["columns"] if c["name"] == "sales")
    panel.locator(f"[data-table='{lines['name']}'] button").first.click()
    shown = panel.locator(f"[data-column='{lines['name']}.{column['name']}']")
    expect(shown).to_contain_text(column["label"])
    expect(shown).to_contain_text(column["role"])
    expect(shown).to_contain_text(column["type"])

    # A synonym (the demo's curated "turnover" for sales) finds the column, only in its table,
    # and the metric that carries it.
    assert "turnover" in column["synonyms"]
    page.get_by_test_id("catalog-search").fill("turnover")
    expect(panel.get_by_test_id("catalog-table")).to_have_count(1)
    expect(panel.get_by_test_id("catalog-column")).to_have_count(1)
    expect(shown).to_be_visible()
    metrics = [m["name"] for m in catalog["metrics"] if "turnover" in m["synonyms"]]
    expect(panel.get_by_test_id("catalog-metric")).to_have_count(len(metrics))
    expect(panel.get_by_test_id("catalog-metric").first).to_contain_text(metrics[0])

    # Clicking the column puts its readable name into the prompt.
    shown.click()
    expect(page.get_by_test_id("prompt-input")).to_have_value(column["label"])

    page.get_by_test_id("catalog-search").fill("no such thing anywhere")
    expect(panel.get_by_test_id("catalog-empty")).to_be_visible()
    expect(panel.get_by_test_id("catalog-table")).to_have_count(0)


def test_the_catalog_is_a_sheet_on_a_phone(
    live_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    context = new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = sign_in_page(context, live_server, "analyst")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_test_id("catalog-panel")).to_have_count(0)
    toggle = page.get_by_test_id("catalog-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_test_id("catalog-sheet")
    expect(sheet).to_be_visible()
    box = sheet.bounding_box()
    assert box is not None and box["width"] <= 390
    search = sheet.get_by_test_id("catalog-search")
    search.fill("turnover")
    expect(sheet.get_by_test_id("catalog-column")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(sheet).to_have_count(0)
    expect(toggle).to_be_focused()


def test_clicking_a_suggestion_asks_it_and_a_chart_renders(
    sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    questions = _suggestions(api_as("analyst"), "local")
    catalog = _catalog(api_as("analyst"), "local")
    assert len(questions) >= 3
    page = sign_in("analyst")
    chips = page.get_by_test_id("suggestion")
    expect(chips).to_have_text(questions, timeout=UI_TIMEOUT_MS)

    chips.first.click()
    run = page.get_by_test_id("run").first
    expect(run.and_(page.locator(FINISHED))).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect_complete(run)
    expect(run).to_contain_text(questions[0])
    expect(sandbox(page).locator(".recharts-surface").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    # For the picture: one table opened, showing its columns.
    biggest = max(catalog["tables"], key=lambda t: t["row_count"] or 0)
    page.locator(f"[data-table='{biggest['name']}'] button").first.click()
    expect(page.get_by_test_id("catalog-column").first).to_be_visible()
    screenshot(page, "portal-catalog")


# --- two engines -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_engine_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server with the demo data locally and TPC-H behind a real Quack server."""
    served = tmp_path_factory.mktemp("tpch-served") / "tpch.duckdb"
    demo_data.load_tpch(served, 0.01, schema="main")
    token = secrets.token_urlsafe(16)
    with (
        running_quack_server(served, token, tmp_path_factory.mktemp("quack-e2e")) as quack,
        running_server(
            tmp_path_factory.mktemp("live-two-engines"),
            REDIS_URL="",
            VIZORCH_REMOTE_DUCKDB=quack.uri,
            VIZORCH_REMOTE_DUCKDB_TOKEN=token,
        ) as server,
    ):
        yield server


def test_the_engine_selector_switches_the_catalog_and_the_suggestions(
    two_engine_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    api = Api(two_engine_server.url, two_engine_server.api_token("analyst"))
    try:
        engines = api.client.get("/api/engines").json()
        assert [e["name"] for e in engines["engines"]] == ["local", "remote"]
        local, remote = _catalog(api, "local"), _catalog(api, "remote")
        local_questions, remote_questions = _suggestions(api, "local"), _suggestions(api, "remote")
    finally:
        api.close()
    assert local_questions != remote_questions

    context = new_context()
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = sign_in_page(context, two_engine_server, "analyst")
    panel = page.get_by_test_id("catalog-panel")
    labels = panel.get_by_test_id("catalog-table-label")
    expect(labels).to_have_text([t["label"] for t in local["tables"]])
    expect(page.get_by_test_id("suggestion")).to_have_text(local_questions)

    select = page.get_by_test_id("engine-select")
    expect(select).to_contain_text("Local DuckDB")
    select.click()
    page.get_by_test_id("engine-option-remote").click()
    expect(select).to_contain_text("Remote DuckDB")
    expect(labels).to_have_text([t["label"] for t in remote["tables"]], timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_test_id("suggestion")).to_have_text(remote_questions)

    # The question goes to the selected engine.
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as sent:
        page.get_by_test_id("suggestion").first.click()
    body = sent.value.post_data_json
    assert body is not None and body["engine"] == "remote"
    run = page.get_by_test_id("run").first
    expect(run.and_(page.locator(FINISHED))).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect_complete(run)
    expect(run).to_contain_text(remote_questions[0])
    expect(sandbox(page).locator(".recharts-surface").first).to_be_visible()

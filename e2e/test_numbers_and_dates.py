"""Issue 13, finding 7: numbers and dates read as an analyst expects. An axis of averages has
distinct labels (percentages when the catalog says the measure is one), a table shows dates by
their grain instead of ISO timestamps, and "Top N" keeps the N largest whatever the sort order."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import (
    BAR,
    DEMO_REGIONS,
    UI_TIMEOUT_MS,
    Api,
    StreamedRun,
    ask,
    expect_bars,
    expect_complete,
    sandbox,
    unique,
)
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

Y_TICKS = ".recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value"
X_TICKS = ".recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value"


def _choose(page: Page, name: str, option: str) -> None:
    control = page.get_by_test_id(f"param-{name}")
    expect(control).to_be_enabled(timeout=UI_TIMEOUT_MS)
    control.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_axis_of_averages_has_distinct_percent_ticks(sign_in: Callable[[str], Page]) -> None:
    page = sign_in("analyst")
    expect_complete(ask(page, "Show average discount by region"))
    expect_bars(page, DEMO_REGIONS)
    ticks = sandbox(page).locator(Y_TICKS)
    expect(ticks.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    labels = ticks.all_text_contents()
    assert len(labels) >= 3, labels
    assert len(set(labels)) == len(labels), labels
    # The catalog knows the discount is a rate: the axis says so.
    assert all(label.endswith("%") for label in labels), labels


def test_axis_of_small_averages_has_distinct_ticks_without_a_percent_format(
    live_server: LiveServer, sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    # The same chart over the same numbers, computed so that the catalog's format no longer
    # reaches them (the result's columns say "number"): plain numbers between 0 and about 0.1,
    # which a one-decimal axis showed as "0, 0, 0.1, 0.1, 0.1".
    analyst = api_as("analyst")
    answer = analyst.chat("Show average discount by region")
    run = answer.run
    assert run["status"] == "succeeded", run
    label, value = (c["name"] for c in _columns(answer))
    sql = f'SELECT "{label}", "{value}" + 0 AS "{value}" FROM ({run["generated_sql"]}) AS t'
    plain = analyst.client.post("/api/query", json={"sql": sql})
    assert plain.status_code == 200, plain.text
    assert plain.json()["columns"][1]["format"] == "number"
    template = analyst.create_template(
        {
            "title": unique("Average discount, no format"),
            "prompt": "Show average discount by region",
            "generated_sql": run["generated_sql"],
            "ui_code": run["ui_code"],
            "parameters": run["parameters"] or {},
            "data_source": "duckdb",
            "data_url": plain.json()["url"],
        }
    )
    page = sign_in("analyst")
    page.goto(f"{live_server.url}/app/templates/{template['id']}")
    expect_bars(page, DEMO_REGIONS)
    ticks = sandbox(page).locator(Y_TICKS)
    expect(ticks.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    labels = ticks.all_text_contents()
    assert len(labels) >= 3, labels
    assert len(set(labels)) == len(labels), labels
    assert not any(label.endswith("%") for label in labels), labels


# A component as a model writes it: every value goes through the kit's formatter and the
# result's columns, nothing of the catalog is written into the code.
HAND_WRITTEN = """
import { columnOf, formatValue, rowsToObjects } from "@vizorch/kit";

export default function Viz({ data, params }) {
  const [x, y] = data.columns;
  const rows = rowsToObjects(data).slice(0, 4);
  return (
    <div>
      <h3>{String(params.title ?? "")}</h3>
      <ul>
        {rows.map((row, i) => (
          <li key={i} className="vz-item">
            <span className="x">{formatValue(columnOf(data, x), row[x])}</span>:{" "}
            <span className="y">{formatValue(columnOf(data, y), row[y])}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
"""
MONTH = r"[A-Z][a-z]{2} \d{4}"
PERCENT = r"\d+(\.\d)?%"


def _columns(answer: StreamedRun) -> list[dict[str, Any]]:
    data = [payload for name, payload in answer.events if name == "data"]
    assert len(data) == 1, answer.events
    columns: list[dict[str, Any]] = data[0]["columns"]
    return columns


def test_a_written_component_formats_rates_and_months_by_the_result_columns(
    live_server: LiveServer, sign_in: Callable[[str], Page], api_as: Callable[[str], Api]
) -> None:
    analyst = api_as("analyst")
    answer = analyst.chat("Show average discount by month")
    run = answer.run
    assert run["status"] == "succeeded", run
    month, rate = _columns(answer)
    assert (month["format"], month["grain"], rate["format"]) == ("date", "month", "percent")
    template = analyst.create_template(
        {
            "title": unique("Discount by month, written"),
            "prompt": "Show average discount by month",
            "generated_sql": run["generated_sql"],
            "ui_code": HAND_WRITTEN,
            "parameters": {"title": "Discount by month"},
            "data_source": "duckdb",
            "data_url": run["data_url"],
        }
    )
    page = sign_in("analyst")
    page.goto(f"{live_server.url}/app/templates/{template['id']}")
    items = sandbox(page).locator(".vz-item")
    expect(items).to_have_count(4, timeout=UI_TIMEOUT_MS)
    months = sandbox(page).locator(".vz-item .x").all_inner_texts()
    rates = sandbox(page).locator(".vz-item .y").all_inner_texts()
    assert all(re.fullmatch(MONTH, m) for m in months), months
    assert all(re.fullmatch(PERCENT, r) for r in rates), rates

    # The Data tab reads the same columns: months, not 2021-01-01T00:00:00.000Z; rates as such.
    page.get_by_test_id("tab-data").click()
    first = page.get_by_test_id("data-table").locator("tbody tr").filter(has=page.locator("td"))
    expect(first.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    cells = first.first.locator("td").all_inner_texts()
    assert re.fullmatch(MONTH, cells[0]), cells
    assert re.fullmatch(PERCENT, cells[1]), cells


def test_table_shows_dates_by_their_grain(sign_in: Callable[[str], Page]) -> None:
    page = sign_in("analyst")
    expect_complete(ask(page, "Show total sales by month"))
    _choose(page, "chart_type", "table")
    cells = sandbox(page).locator(".vz-table tbody tr td:first-child")
    expect(cells.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    months = cells.all_inner_texts()
    assert len(months) >= 2, months
    # "Jan 2021", not "2021-01-01" or "2021-01-01T00:00:00.000Z".
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", m) for m in months), months[:5]


def test_top_n_ascending_shows_the_largest_in_ascending_order(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    expect_complete(ask(page, "Show total sales by region"))
    expect_bars(page, DEMO_REGIONS)
    page.get_by_test_id("tab-data").click()
    rows = page.get_by_test_id("data-table").locator("tbody tr")
    expect(rows).to_have_count(DEMO_REGIONS, timeout=UI_TIMEOUT_MS)
    sales: dict[str, float] = {}
    for row in rows.all():
        region, value = row.locator("td").all_inner_texts()[:2]
        sales[region] = float(re.sub(r"[^\d.\-]", "", value))
    largest = sorted(sales, key=lambda region: sales[region], reverse=True)[:3]
    page.get_by_test_id("tab-preview").click()

    top_n = page.get_by_test_id("param-top_n")
    expect(top_n).to_be_enabled(timeout=UI_TIMEOUT_MS)
    top_n.fill("3")
    _choose(page, "sort", "asc")
    # The three largest, in ascending order, then the rest summed as one "Other" bar.
    expect(sandbox(page).locator(BAR)).to_have_count(4, timeout=UI_TIMEOUT_MS)
    shown = sandbox(page).locator(X_TICKS)
    ordered: list[str] = sorted(largest, key=lambda region: sales[region])
    expect(shown).to_have_text([*ordered, "Other"], timeout=UI_TIMEOUT_MS)

"""Issue 13: a trend with more series than one chart shows readably is small multiples, a titled
panel per series on one shared scale with no legend over anything; it reads at 390 px, exports
with every panel and switches to one chart of the largest lines without a new query."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from e2e.helpers import (
    UI_TIMEOUT_MS,
    ask,
    expect_complete,
    sandbox,
    screenshot,
    settle_chart,
    sign_in_page,
)
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

# A monthly trend by a column the catalog profiles with between 9 and 24 values.
QUESTION = "monthly sales by country"
ONE_CHART_SERIES = 8
MAX_PANELS = 24
PANEL = "[data-vz-panel]"
SVG = "{http://www.w3.org/2000/svg}"
Y_TICKS = ".recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value"
PHONE = 390


def _panels(frame: FrameLocator) -> int:
    panels = frame.locator(PANEL)
    expect(panels.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    count = panels.count()
    assert ONE_CHART_SERIES < count <= MAX_PANELS, count
    return count


def _boxes(frame: FrameLocator, selector: str) -> list[dict[str, float]]:
    boxes = frame.locator(selector).evaluate_all(
        "(els) => els.map((e) => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; })"
    )
    return list(boxes)


def _y_ticks_of_each_panel(frame: FrameLocator) -> list[list[str]]:
    return list(
        frame.locator(PANEL).evaluate_all(
            """(panels, ticks) => panels.map((p) => Array.from(p.querySelectorAll(ticks))
                 .map((t) => t.textContent))""",
            Y_TICKS,
        )
    )


def test_many_series_are_titled_panels_on_one_scale_that_export_and_switch_to_one_chart(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    expect_complete(ask(page, QUESTION))
    frame = sandbox(page)
    count = _panels(frame)
    expect(page.get_by_test_id("param-chart_type")).to_contain_text("multiples")

    # A title per panel, each series once, and one line in every panel; no legend at all.
    titles = frame.locator("[data-vz-panel-title]").all_text_contents()
    assert len(titles) == count and len(set(titles)) == count and all(titles), titles
    expect(frame.locator(".recharts-line")).to_have_count(count)
    expect(frame.locator(".recharts-legend-wrapper")).to_have_count(0)
    if count < MAX_PANELS:
        expect(frame.locator("[data-vz-caption]")).to_have_count(0)
    settle_chart(page)

    # One value scale: every panel's axis reads the same ticks, formatted (compact, no raw
    # floats); the panels sit side by side in a grid and none overlaps another or its title.
    ticks = _y_ticks_of_each_panel(frame)
    assert ticks[0] and all(t == ticks[0] for t in ticks), ticks
    assert all("." not in t or len(t) <= 6 for t in ticks[0]), ticks[0]
    panels = _boxes(frame, PANEL)
    assert len({round(p["x"]) for p in panels}) > 1, panels  # columns on a desktop
    for a, b in itertools.combinations(panels, 2):
        apart = (
            a["x"] + a["width"] <= b["x"] + 1
            or b["x"] + b["width"] <= a["x"] + 1
            or a["y"] + a["height"] <= b["y"] + 1
            or b["y"] + b["height"] <= a["y"] + 1
        )
        assert apart, (a, b)
    for head, plot in zip(
        _boxes(frame, "[data-vz-panel-title]"),
        _boxes(frame, f"{PANEL} .recharts-cartesian-grid"),
        strict=True,
    ):
        assert head["y"] + head["height"] <= plot["y"] + 1, (head, plot)
    screenshot(page, "small-multiples")

    # The exported picture has the chart's title and every panel with its title and its chart.
    with page.expect_download(timeout=UI_TIMEOUT_MS) as download:
        page.get_by_test_id("export-svg").click()
    root = ET.fromstring(Path(download.value.path()).read_text(encoding="utf-8"))
    texts = ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]
    assert frame.locator("h3").inner_text() in texts
    for title in titles:
        assert any(t == title or (t.endswith("\u2026") and title.startswith(t[:-1])) for t in texts)
    assert len(root.findall(f"{SVG}svg")) == count

    # One chart again, without a new query: the seven largest lines, "Other" and a legend.
    page.get_by_test_id("param-chart_type").click()
    page.get_by_role("option", name="line", exact=True).click()
    expect(frame.locator(".recharts-line")).to_have_count(ONE_CHART_SERIES, timeout=UI_TIMEOUT_MS)
    expect(frame.locator(".recharts-legend-item").last).to_have_text("Other")
    expect(frame.locator(PANEL)).to_have_count(0)


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": PHONE, "height": 844})
    try:
        yield sign_in_page(context, live_server, "analyst")
    finally:
        context.close()


def test_small_multiples_are_one_column_of_full_width_panels_at_390_px(phone: Page) -> None:
    expect_complete(ask(phone, QUESTION))
    frame = sandbox(phone)
    _panels(frame)
    settle_chart(phone)
    panels = _boxes(frame, PANEL)
    assert len({round(p["x"]) for p in panels}) == 1, panels
    assert all(p["x"] >= 0 and p["x"] + p["width"] <= PHONE for p in panels), panels
    assert all(p["width"] >= PHONE / 2 for p in panels), panels
    width = int(phone.evaluate("document.documentElement.scrollWidth"))
    assert width <= PHONE, width
    screenshot(phone, "small-multiples-phone")

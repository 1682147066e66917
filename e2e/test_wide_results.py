"""Issue 13, finding 3: a result with hundreds of categories or series stays readable (top N and
an "Other" bar, upright labels on horizontal bars, a capped legend), "Show top N" reaches the
data's size, and a result cut by the row limit says so and still downloads."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.helpers import (
    BAR,
    UI_TIMEOUT_MS,
    ask,
    expect_complete,
    sandbox,
    screenshot,
    settle_chart,
    sign_in_page,
)
from vizorch_site.testing import LiveServer, running_server

pytestmark = pytest.mark.e2e

DEMO_PRODUCTS = 400
DEFAULT_TOP_N = 20
ROW_LIMIT = 5000


def test_four_hundred_categories_draw_the_top_bars_and_other_with_upright_labels(
    sign_in: Callable[[str], Page],
) -> None:
    page = sign_in("analyst")
    run = ask(page, "Show sales by product")
    expect_complete(run)
    frame = sandbox(page)

    # The top 20 products and one "Other" bar for the other 380, not 400 bars.
    expect(frame.locator(BAR)).to_have_count(DEFAULT_TOP_N + 1, timeout=UI_TIMEOUT_MS)
    ticks = frame.locator(".recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value")
    expect(ticks).to_have_count(DEFAULT_TOP_N + 1)
    expect(ticks.last).to_have_text("Other")
    expect(frame.locator("[data-vz-caption]")).to_contain_text(
        f"Top {DEFAULT_TOP_N} of {DEMO_PRODUCTS}"
    )
    # Readable labels: horizontal bars, so every product name is upright and none overlaps the
    # next one.
    settle_chart(page)
    boxes = [ticks.nth(i).bounding_box() for i in range(ticks.count())]
    assert all(box is not None for box in boxes)
    for upper, lower in itertools.pairwise(boxes):
        assert upper is not None and lower is not None
        assert upper["height"] < 20, upper  # one line of text, not a slanted smear
        assert upper["y"] + upper["height"] <= lower["y"] + 1, (upper, lower)
    screenshot(page, "wide-result")

    # Top N goes up to the data's size: every product is one bar, and the caption is gone.
    top_n = page.get_by_test_id("param-top_n")
    assert int(top_n.get_attribute("max") or 0) >= DEMO_PRODUCTS
    top_n.fill(str(DEMO_PRODUCTS))
    expect(frame.locator(BAR)).to_have_count(DEMO_PRODUCTS, timeout=UI_TIMEOUT_MS)
    expect(frame.locator("[data-vz-caption]")).to_have_count(0)

    # Top 3 in ascending order are still the three largest, smallest of them first.
    top_n.fill("3")
    page.get_by_test_id("param-sort").click()
    page.get_by_role("option", name="asc").click()
    expect(frame.locator(BAR)).to_have_count(4, timeout=UI_TIMEOUT_MS)
    expect(
        frame.locator(".recharts-cartesian-axis-tick-value").filter(has_text="Other")
    ).to_have_count(1)
    settle_chart(page)
    shapes = [
        (
            float(frame.locator(f"{BAR} path").nth(i).get_attribute("width") or 0),
            float(frame.locator(f"{BAR} path").nth(i).get_attribute("height") or 0),
        )
        for i in range(3)
    ]
    # Whichever way the bars stand, their length is the dimension that varies.
    sizes = [h for _, h in shapes] if len({w for w, _ in shapes}) == 1 else [w for w, _ in shapes]
    assert sizes == sorted(sizes), shapes


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose row limit (VIZORCH_MAX_ROWS) a daily result by product passes."""
    with running_server(
        tmp_path_factory.mktemp("live-limited"), REDIS_URL="", VIZORCH_MAX_ROWS=str(ROW_LIMIT)
    ) as server:
        yield server


def test_a_result_cut_by_the_row_limit_says_so_caps_its_series_and_downloads(
    browser: Browser, limited_server: LiveServer
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    try:
        page = sign_in_page(context, limited_server, "analyst")
        run = ask(page, "daily sales by product")
        expect_complete(run)
        frame = sandbox(page)
        expect(frame.locator(".recharts-line").first).to_be_visible(timeout=UI_TIMEOUT_MS)

        notice = page.get_by_test_id("truncation-notice")
        expect(notice).to_contain_text(f"Showing the first {ROW_LIMIT:,} of more rows")

        # Hundreds of products are at most eight lines (seven and "Other"), and the legend sits
        # below the plot instead of over it and the title.
        expect(frame.locator(".recharts-line")).to_have_count(8)
        legend = frame.locator(".recharts-legend-item")
        expect(legend).to_have_count(8)
        expect(legend.last).to_have_text("Other")
        settle_chart(page)
        plot = frame.locator(".recharts-cartesian-grid").bounding_box()
        title = frame.locator("h3").bounding_box()
        legend_box = frame.locator(".recharts-legend-wrapper").bounding_box()
        assert plot and title and legend_box
        assert legend_box["y"] >= plot["y"] + plot["height"] - 1, (legend_box, plot)
        assert title["y"] + title["height"] <= plot["y"], (title, plot)
        screenshot(page, "truncation-notice")

        # What was kept downloads whole, as CSV and as Parquet.
        with page.expect_download() as download:
            page.get_by_test_id("download-csv").click()
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
        assert len(rows) == ROW_LIMIT + 1, len(rows)
        assert download.value.suggested_filename.endswith(".csv")
        with page.expect_download() as parquet:
            page.get_by_test_id("download-parquet").click()
        assert parquet.value.suggested_filename.endswith(".parquet")
        with open(parquet.value.path(), "rb") as handle:
            assert handle.read(4) == b"PAR1"
    finally:
        context.close()

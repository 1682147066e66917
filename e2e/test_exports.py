"""Issue 13, finding 4: an exported chart stands alone. The SVG and PNG carry the title, the
legend and the axis labels, nothing is clipped, and an export right after a parameter change
shows the chart with that change, fully drawn."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.helpers import (
    BAR,
    UI_TIMEOUT_MS,
    ask,
    expect_complete,
    sandbox,
    set_title,
    settle_chart,
    unique,
)

pytestmark = pytest.mark.e2e

CHANNELS = ("In-store", "Online", "Phone")
SVG = "{http://www.w3.org/2000/svg}"


def _download(page: Page, test_id: str) -> Path:
    with page.expect_download(timeout=UI_TIMEOUT_MS) as download:
        page.get_by_test_id(test_id).click()
    return Path(download.value.path())


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def _bar_shapes(root: ET.Element) -> list[str]:
    return sorted(
        str(e.get("d"))
        for e in root.iter(f"{SVG}path")
        if "recharts-rectangle" in (e.get("class") or "")
    )


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_exports_carry_title_legend_axis_labels_after_a_parameter_change(
    sign_in: Callable[[str], Page], browser: Browser
) -> None:
    page = sign_in("analyst")
    run = ask(page, "Show sales by region by channel")
    expect_complete(run)
    frame = sandbox(page)
    expect(frame.locator(BAR).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    settle_chart(page)

    # Export at once after a new title: the file must show that title and the whole chart.
    title = unique("Exported sales")
    set_title(page, title)
    svg_path = _download(page, "export-svg")
    root = ET.fromstring(svg_path.read_text(encoding="utf-8"))
    texts = _texts(root)
    assert title in texts, texts
    for channel in CHANNELS:
        assert channel in texts, (channel, texts)  # the legend
    assert "Region" in texts and "Sales" in texts, texts  # the axis labels

    # Fully drawn: the bars in the file are the bars the settled chart shows.
    expect(frame.locator("h3")).to_have_text(title)
    settle_chart(page)
    live = sorted(
        frame.locator(f"{BAR} path, path{BAR}").evaluate_all(
            "(paths) => paths.map((p) => p.getAttribute('d'))"
        )
    )
    assert live and _bar_shapes(root) == live

    # Nothing is clipped: every text of the file, drawn on its own, lies inside the picture.
    width, height = float(root.get("width") or 0), float(root.get("height") or 0)
    viewer = browser.new_page(viewport={"width": int(width) + 40, "height": int(height) + 40})
    try:
        viewer.set_content(f"<body style='margin:0'>{svg_path.read_text(encoding='utf-8')}</body>")
        outside = viewer.evaluate(
            """([w, h]) => Array.from(document.querySelectorAll("text"))
                 .filter((t) => t.textContent.trim())
                 .map((t) => [t.textContent, t.getBoundingClientRect()])
                 .filter(([, r]) => r.left < -0.5 || r.top < -0.5
                                    || r.right > w + 0.5 || r.bottom > h + 0.5)
                 .map(([text]) => text)""",
            [width, height],
        )
    finally:
        viewer.close()
    assert outside == [], outside

    # The PNG is the same picture at twice the size: larger than the chart area, with room for
    # the title above it and the legend below.
    chart = frame.locator(".recharts-surface").first.bounding_box()
    assert chart is not None
    png_width, png_height = _png_size(_download(page, "export-png"))
    assert png_width == 2 * int(width) and png_height == 2 * int(height)
    assert png_width > 2 * chart["width"] and png_height > 2 * (chart["height"] + 20)

"""ROADMAP-15: a scatter plot of many points (the kit's canvas `PointCloud`) exports like any other
chart. The PNG is the picture at twice the size with the title above the plot and the points in
it; the SVG stands alone too: the title as text, the canvas plot as an embedded image (a `data:`
URL, so the file loads nothing)."""

from __future__ import annotations

import base64
import dataclasses
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from analyst.charts import ChartSpec, build_params, render_component
from e2e.helpers import UI_TIMEOUT_MS, unique
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

CHANNEL = "vizorch-sandbox/1"
SVG = "{http://www.w3.org/2000/svg}"
POINTS = 8_000  # past the scatter's 5,000 SVG points: drawn on a canvas
COLOR = (59, 130, 246)  # the default scheme's first colour, #3b82f6

# Embeds the live server's sandbox page as the portal does and turns each exported Blob into
# base64, so the test reads the very bytes the portal would save.
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>host</title></head><body>
<script>
  window.__messages = [];
  window.__files = {};
  window.addEventListener("message", async (event) => {
    const frame = document.getElementById("frame");
    if (!frame || event.source !== frame.contentWindow) return;
    const m = event.data;
    window.__messages.push({ type: m.type, renderId: m.renderId, message: m.message || "" });
    if (m.type === "exported") {
      const bytes = m.blob ? new Uint8Array(await m.blob.arrayBuffer()) : null;
      let text = "";
      if (bytes) for (const b of bytes) text += String.fromCharCode(b);
      window.__files[m.format] = bytes
        ? { type: m.blob.type, base64: btoa(text) }
        : { error: m.message };
    }
  });
  const frame = document.createElement("iframe");
  frame.id = "frame";
  frame.setAttribute("sandbox", "allow-scripts");
  frame.style.width = "760px";
  frame.style.height = "460px";
  frame.src = "/sandbox/";
  document.body.appendChild(frame);
  window.__send = (message) => frame.contentWindow.postMessage(message, "*");
  window.__cloud = (n) => {
    const rows = [];
    for (let i = 0; i < n; i++) {
      const sales = (i * 7919) % 1000;
      rows.push(["p" + i, sales, Math.round(sales * 0.3 + ((i * 104729) % 200) - 100)]);
    }
    return { columns: ["product", "sales", "profit"], rows };
  };
  // The share of pixels of a PNG (given as base64) close to `rgb`, inside the box [x0, y0, x1, y1].
  window.__inked = (base64, rgb, box) => new Promise((resolve) => {
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(image, 0, 0);
      const [x0, y0, x1, y1] = box;
      const pixels = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
      let near = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const d = Math.abs(pixels[i] - rgb[0]) + Math.abs(pixels[i + 1] - rgb[1])
          + Math.abs(pixels[i + 2] - rgb[2]);
        if (d < 90) near++;
      }
      resolve(near / (pixels.length / 4));
    };
    image.src = "data:image/png;base64," + base64;
  });
</script></body></html>"""


def _scatter() -> tuple[str, dict[str, Any]]:
    """The offline analyst's scatter plot of two measures, one point per product."""
    chosen: dict[str, Any] = {
        "chart_type": "scatter", "x": "product", "values": ("sales", "profit"), "title": "T",
        "x_is_time": False, "percent_values": (), "sort": "none", "show_labels": False,
        "color_scheme": "default",
    }  # fmt: skip
    # Fields this test does not care about keep their defaults, or None.
    values: dict[str, Any] = {
        f.name: chosen.get(f.name, None if f.default is dataclasses.MISSING else f.default)
        for f in dataclasses.fields(ChartSpec)
    }
    spec = ChartSpec(**values)
    return render_component(spec), build_params(spec, POINTS)["values"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _host(live_server: LiveServer, new_context: Callable[[], BrowserContext]) -> Page:
    context = new_context()
    host = f"{live_server.url}/e2e-export-host/"
    context.route(
        host,
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=HOST_PAGE
        ),
    )
    page = context.new_page()
    page.goto(host)
    page.wait_for_function(
        "() => window.__messages.some((m) => m.type === 'ready')", timeout=UI_TIMEOUT_MS
    )
    return page


def test_point_cloud_exports_as_png_and_svg_with_its_title_and_points(
    live_server: LiveServer, new_context: Callable[[], BrowserContext]
) -> None:
    page = _host(live_server, new_context)
    code, params = _scatter()
    title = unique("Sales against profit")
    page.evaluate(
        """(a) => window.__send({ channel: a.channel, type: "render", renderId: 1, code: a.code,
             params: a.params, theme: "light",
             data: { format: "json", result: window.__cloud(a.points) } })""",
        {"channel": CHANNEL, "code": code, "params": {**params, "title": title}, "points": POINTS},
    )
    frame = page.frame_locator("#frame")
    cloud = frame.locator(".vz-pointcloud canvas").first
    expect(cloud).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(frame.locator("h3")).to_have_text(title)
    plot = cloud.bounding_box()
    frame_box = page.locator("#frame").bounding_box()
    assert plot is not None and frame_box is not None

    for request_id, fmt in enumerate(("png", "svg"), start=1):
        page.evaluate(
            "(a) => window.__send({ channel: a.channel, type: 'export', requestId: a.id,"
            " format: a.format })",
            {"channel": CHANNEL, "id": request_id, "format": fmt},
        )
    page.wait_for_function("() => window.__files.png && window.__files.svg", timeout=UI_TIMEOUT_MS)
    files = page.evaluate("() => window.__files")
    assert "error" not in files["png"], files["png"]
    assert "error" not in files["svg"], files["svg"]

    # The PNG: twice the size, room for the title above the plot, and the points drawn in the
    # plot's place (a good share of its pixels in the points' colour), none above it.
    png = base64.b64decode(files["png"]["base64"])
    assert files["png"]["type"] == "image/png"
    width, height = _png_size(png)
    assert width > 2 * plot["width"] and height > 2 * (plot["height"] + 20)
    # Where the plot starts in the file: below it are 8 px and the padding (16), at twice the size.
    top = height - 2 * (plot["height"] + 8 + 16)
    inked = page.evaluate(
        "(a) => window.__inked(a.png, a.rgb, a.box)",
        {"png": files["png"]["base64"], "rgb": COLOR, "box": [0, int(top), width, height]},
    )
    assert inked > 0.02, inked
    above = page.evaluate(
        "(a) => window.__inked(a.png, a.rgb, a.box)",
        {"png": files["png"]["base64"], "rgb": COLOR, "box": [0, 0, width, int(top) - 2]},
    )
    assert above < 0.001, above

    # The SVG: the title as text, and the plot as one embedded PNG image the size of the canvas.
    root = ET.fromstring(base64.b64decode(files["svg"]["base64"]).decode("utf-8"))
    texts = ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]
    assert title in texts, texts
    images = list(root.iter(f"{SVG}image"))
    assert len(images) == 1, images
    href = images[0].get("href") or ""
    assert href.startswith("data:image/png;base64,"), href[:40]
    assert float(images[0].get("width") or 0) == round(plot["width"])
    assert float(images[0].get("height") or 0) == round(plot["height"])
    # Nothing in the file points elsewhere.
    text = base64.b64decode(files["svg"]["base64"]).decode("utf-8")
    assert not re.search(r'(?:href|src)="(?!data:|#)', text), text[:200]

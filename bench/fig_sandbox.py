"""Sandbox figures in headless Chromium (the system /usr/bin/chromium, driven by Playwright): cold
start of the sandbox page to the first paint of a bar chart, and the render of a 100k-point line
chart. The sandbox page, its CSP and its assets come from the bench server; the host page that
embeds it (as the portal does: an `<iframe sandbox="allow-scripts">` on the same origin) is
answered by Playwright, so only the sandbox is measured."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from analyst.charts import ChartSpec, build_params, render_component
from bench import fig_chat
from bench.report import Figure, Row
from bench.server import BenchServer
from bench.stats import Summary, ms, spread_ms
from vizorch_site.testing import CHROMIUM, CHROMIUM_ARGS

CHANNEL = "vizorch-sandbox/1"
LINE_POINTS = 100_000
WAIT_MS = 30_000

BROWSER_DIR = Path(__file__).with_name("browser")
# In the sandbox frame: posts {bench: "painted", kind, inserted, painted} when a chart is painted.
PAINT_PROBE = (BROWSER_DIR / "paint_probe.js").read_text()
# The host page: embeds the sandbox and records every message with its time (window.__events).
HOST_PAGE = (BROWSER_DIR / "host.html").read_text()


@dataclass
class Sample:
    """Seconds from inserting the iframe to each step of the sandbox's start."""

    to_document: float
    to_scripts: float
    to_dom_ready: float
    to_ready: float
    to_rendered: float
    to_painted: float


def line_component() -> tuple[str, dict[str, Any]]:
    """The offline model's line chart for an hourly series (it downsamples above 5k points)."""
    chosen: dict[str, Any] = {
        "chart_type": "line", "title": "Sales by hour", "x": "hour", "x_is_time": True,
        "grain": "day", "values": ("sales",), "percent_values": (), "sort": "none",
        "show_labels": False, "color_scheme": "default",
    }  # fmt: skip
    # Fields this figure does not care about (series, top N, ...) stay None.
    fields: dict[str, Any] = {f.name: chosen.get(f.name) for f in dataclasses.fields(ChartSpec)}
    spec = ChartSpec(**fields)
    return render_component(spec), build_params(spec, LINE_POINTS)["values"]


Bar = tuple[str, dict[str, Any], str]


def bar_chart(server: BenchServer, bar: Bar | None) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The component, params and data of a real "sales by region" run (one is made if needed)."""
    if bar is None:
        import asyncio

        runs = asyncio.run(fig_chat.sequential_runs(server, 1, warmup=0))
        bar = (runs.code, runs.params, runs.data_url)
    code, params, url = bar
    response = httpx.get(
        server.url + url, params={"format": "json"}, headers=server.auth, timeout=60
    )
    response.raise_for_status()
    return code, params, response.json()


def _render(render_id: int, code: str, params: dict[str, Any], data: Any) -> dict[str, Any]:
    return {"channel": CHANNEL, "type": "render", "renderId": render_id, "code": code,
            "params": params, "data": data, "theme": "light"}  # fmt: skip


def _events(page: Any) -> dict[str, dict[str, Any]]:
    return {event["type"]: event for event in page.evaluate("window.__events")}


def figures(
    server: BenchServer, reps: int, bar: tuple[str, dict[str, Any], str] | None
) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    code, params, data = bar_chart(server, bar)
    bar_message = _render(1, code, params, {"format": "json", "result": data})
    line_code, line_params = line_component()
    host = f"{server.url}/bench-host/"
    cold: list[Sample] = []
    warm: list[Sample] = []
    line: list[float] = []
    line_insert: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:

            def new_page() -> tuple[Any, Any]:
                # A fresh context each time: empty HTTP cache, nothing compiled yet.
                context = browser.new_context(viewport={"width": 800, "height": 500})
                context.add_init_script(PAINT_PROBE)
                context.route(
                    host,
                    lambda route: route.fulfill(
                        status=200, content_type="text/html; charset=utf-8", body=HOST_PAGE
                    ),
                )
                page = context.new_page()
                page.goto(host)
                return context, page

            def boot_bar(page: Any) -> Sample:
                page.evaluate("(m) => window.__boot(m)", bar_message)
                page.evaluate(f"window.__waitFor('painted', {WAIT_MS})")
                page.evaluate(f"window.__waitFor('rendered', {WAIT_MS})")
                e = _events(page)
                start = e["start"]["at"]
                loaded = e["painted"]["loaded"]
                origin = loaded["origin"] - start
                return Sample(
                    (origin + loaded["document"]) / 1000,
                    (origin + loaded["scripts"]) / 1000,
                    (origin + loaded["domContentLoaded"]) / 1000,
                    (e["ready"]["at"] - start) / 1000,
                    (e["rendered"]["at"] - start) / 1000,
                    (e["painted"]["at"] - start) / 1000,
                )

            for rep in range(reps + 1):  # the first round warms the browser and the server up
                context, page = new_page()
                try:
                    sample = boot_bar(page)
                    # The same again in a second page of this context: the HTTP cache is primed
                    # (the assets are fingerprinted and served as immutable).
                    again = context.new_page()
                    again.goto(host)
                    warm_sample = boot_bar(again)
                    if rep:
                        cold.append(sample)
                        warm.append(warm_sample)
                finally:
                    context.close()
            line_json = json.dumps(
                {"code": line_code, "params": line_params, "points": LINE_POINTS}
            )
            for rep in range(reps + 1):
                context, page = new_page()
                try:
                    page.evaluate("() => window.__boot(null)")
                    page.evaluate(f"window.__waitFor('ready', {WAIT_MS})")
                    page.evaluate(
                        "(a) => window.__send({ channel: a.channel, type: 'render', renderId: 2,"
                        " code: a.code, params: a.params, theme: 'light',"
                        " data: { format: 'json', result: window.__line(a.points) } })",
                        {**json.loads(line_json), "channel": CHANNEL},
                    )
                    page.evaluate(f"window.__waitFor('painted', {WAIT_MS})")
                    e = _events(page)
                    if e["painted"]["kind"] != "line":
                        raise RuntimeError("the line chart did not render")
                    if rep:
                        line.append((e["painted"]["at"] - e["sent"]["at"]) / 1000)
                        line_insert.append((e["painted"]["inserted"] - e["sent"]["at"]) / 1000)
                finally:
                    context.close()
        finally:
            browser.close()
    return [_cold_figure(cold, warm), _line_figure(line, line_insert)]


def _cold_figure(samples: list[Sample], warm: list[Sample]) -> Figure:
    painted = Summary.of([s.to_painted for s in samples])
    figure = Figure(
        key="sandbox_cold",
        title="Sandbox cold start to first paint of a bar chart (headless Chromium)",
        method=(
            "Each round opens a fresh browser context (empty cache) on a host page of the "
            "server's origin, which embeds `/sandbox/` from the bench server (production CSP, "
            "whitenoise assets) as `<iframe sandbox='allow-scripts'>` and sends the `render` "
            "message the moment the sandbox says `ready`. The component, parameters and data are "
            "those of a real 'Show total sales by region' run. Time from inserting the iframe "
            "to the first paint after the bars appear in the DOM (a probe in the frame waits two "
            "animation frames); `ready` and `rendered` are the sandbox's own messages; the "
            "document and script times come from the frame's Navigation and Resource Timing. "
            "The browser process is already running (its start is not counted). The last row "
            "repeats the same in a second page of the same context (HTTP cache primed)."
        ),
    )
    figure.rows = [
        Row("p50 iframe inserted to bar chart painted", ms(painted.p50), target="<= 400 ms",
            met=painted.p50 <= 0.400),
        Row("painted, median and spread", spread_ms(painted)),
        Row("to the sandbox document received",
            spread_ms(Summary.of([s.to_document for s in samples]))),
        Row("to its last script received",
            spread_ms(Summary.of([s.to_scripts for s in samples]))),
        Row("to DOMContentLoaded (module scripts run)",
            spread_ms(Summary.of([s.to_dom_ready for s in samples]))),
        Row("to `ready` (React app mounted)",
            spread_ms(Summary.of([s.to_ready for s in samples]))),
        Row("to `rendered` (compile and React commit)",
            spread_ms(Summary.of([s.to_rendered for s in samples]))),
        Row("with the HTTP cache primed: to painted",
            spread_ms(Summary.of([s.to_painted for s in warm]))),
    ]  # fmt: skip
    return figure


def _line_figure(samples: list[float], inserted: list[float]) -> Figure:
    painted = Summary.of(samples)
    figure = Figure(
        key="sandbox_line",
        title=f"Sandbox: {LINE_POINTS // 1000}k-point line chart render (headless Chromium)",
        method=(
            f"A booted sandbox (fresh context each round) receives a `render` message with "
            f"{LINE_POINTS:,} rows (hourly timestamps and a value, made in the host page) and the "
            "offline model's line-chart component, which downsamples above 5,000 points with the "
            "kit's `downsample`. Time from posting the message (structured clone included) to "
            "the first paint after the line appears in the DOM."
        ),
    )
    figure.rows = [
        Row("p50 message to line chart painted", ms(painted.p50), target="<= 1 s",
            met=painted.p50 <= 1.0),
        Row("painted, median and spread", spread_ms(painted)),
        Row("line in the DOM, median and spread", spread_ms(Summary.of(inserted))),
    ]  # fmt: skip
    return figure

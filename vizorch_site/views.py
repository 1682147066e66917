"""Pages: the portal shell (a React app) and the sandbox page generated charts run in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from vizorch_site.roles import roles_of

# The sandbox runs code the model wrote. It may load our own scripts and evaluate the component
# (react-runner compiles with `new Function`), and nothing else: no requests, no frames, no forms.
SANDBOX_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'none'",
        "frame-src 'none'",
        "worker-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
    ]
)


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
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response

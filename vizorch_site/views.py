"""Pages: the portal shell (a React app) and the sandbox page generated charts run in."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from core.roles import roles_of


# The sandbox runs code the model wrote. It may load our own static files and evaluate the
# component (the SES compartment compiles with `eval`/`Function`), and nothing else: no requests to
# any other URL (not even our own API: scripts and styles only from the static prefix, images
# only from data: and blob:), no frames, no forms, no workers. The `sandbox` directive keeps the
# page's origin opaque even if it is opened outside the portal's sandboxed iframe. No CSP
# directive forbids a document to navigate itself (`navigate-to` never shipped); the sandbox page
# closes that path in its own code (docs/sandbox.md).
def sandbox_csp(*, static_source: str = "'self'", vite_dev_server: str | None = None) -> str:
    script_src = f"script-src {static_source} 'unsafe-eval'"
    style_src = f"style-src {static_source} 'unsafe-inline'"
    connect_src = "connect-src 'none'"
    if vite_dev_server:
        # Development only: the Vite dev server serves the modules and pushes HMR updates.
        ws_origin = vite_dev_server.replace("http", "ws", 1)
        script_src = f"script-src 'self' 'unsafe-eval' 'unsafe-inline' {vite_dev_server}"
        style_src = f"style-src 'self' 'unsafe-inline' {vite_dev_server}"
        connect_src = f"connect-src {vite_dev_server} {ws_origin}"
    return "; ".join(
        [
            "default-src 'none'",
            script_src,
            style_src,
            "img-src data: blob:",
            "font-src data:",
            "media-src 'none'",
            "object-src 'none'",
            connect_src,
            "frame-src 'none'",
            "child-src 'none'",
            "worker-src 'none'",
            "manifest-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
            "sandbox allow-scripts",
        ]
    )


def _static_source(request: HttpRequest) -> str:
    """The static files' URL prefix as a CSP source: a path, so /api/ is not covered."""
    static_url = str(settings.STATIC_URL)
    if static_url.startswith(("http://", "https://")):
        return static_url
    return request.build_absolute_uri(static_url)


def _vite_dev_server() -> str | None:
    config = settings.DJANGO_VITE["default"]
    if not config["dev_mode"]:
        return None
    return f"http://localhost:{config['dev_server_port']}"


async def ping(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers, and the baseline the benchmarks compare our endpoints with."""
    return HttpResponse("pong", content_type="text/plain")


def _portal_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    boot = {
        "user": {"username": request.user.get_username(), "roles": roles_of(request.user)},
        "csrfToken": get_token(request),
        "sandboxUrl": "/sandbox/",
    }
    return render(request, "vizorch_site/portal.html", {"boot": boot}, status=status)


# The client routes under /app/ (frontend/src/lib/router.ts); anything else there is not found.
APP_ROUTE = re.compile(r"^(templates(/[^/]+)?|c/[^/]+)/?$")


@require_GET
@login_required
def portal(request: HttpRequest, path: str | None = None) -> HttpResponse:
    if path is not None and not APP_ROUTE.match(path):
        return _portal_page(request, status=404)
    return _portal_page(request)


@require_GET
@login_required
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other page: the portal itself answers 404 and shows its own not-found view (with a
    way back), never the framework's page. `/login` finds `/login/` as before."""
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "not-found":
            return HttpResponseRedirect(request.path + "/")
    return _portal_page(request, status=404)


class SignOutView(auth_views.LogoutView):
    """POST signs out (as Django's LogoutView). GET, which a typed or bookmarked /logout/ sends,
    asks to confirm with a button that POSTs, or goes to the sign-in page when nobody is signed
    in: never a 405 dead end."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(settings.LOGIN_URL)
        return render(
            request, "registration/logout_confirm.html", {"username": request.user.get_username()}
        )


@require_GET
@xframe_options_sameorigin
def sandbox(request: HttpRequest) -> HttpResponse:
    response = render(request, "vizorch_site/sandbox.html")
    response["Content-Security-Policy"] = sandbox_csp(
        static_source=_static_source(request), vite_dev_server=_vite_dev_server()
    )
    # Links rendered by a component are never followed; their host names are not resolved either.
    response["X-DNS-Prefetch-Control"] = "off"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response

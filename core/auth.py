"""Authentication for `/api/`: a personal bearer token for scripts, or the portal's session
cookie (with Django's CSRF check on unsafe methods). Token checks go through Django's
`authenticate`, so failed attempts are counted and throttled (django-axes) like failed logins."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from ninja.security import HttpBearer, SessionAuth

from core.tokens import user_for_token

# Failed token attempts from one address are counted under this name (a token names no user).
TOKEN_ATTEMPTS = "(api token)"


class ApiTokenBackend(BaseBackend):
    """`authenticate(request, api_token=...)`: the active user a personal token belongs to."""

    def authenticate(self, request: Any, api_token: str | None = None, **kwargs: Any) -> Any:
        if api_token is None:
            return None
        return user_for_token(api_token)

    def get_user(self, user_id: int) -> Any:
        return None  # tokens make no sessions


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate(request, api_token=token)
        if user is None:
            return None
        # Endpoints read `request.user` whichever way the caller signed in.
        request.user = user
        return user


class PortalSessionAuth(SessionAuth):
    """The portal's session. Without a signed-in session there is nothing to protect with CSRF:
    the caller is unauthenticated (401), not refused for a missing CSRF token (403)."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated else None


api_auth = [ApiTokenAuth(), PortalSessionAuth()]


def attempt_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The name django-axes counts an attempt under: the user name tried, or one name for all
    token attempts (so guessing tokens from one address is throttled as a whole)."""
    credentials = credentials or {}
    if "api_token" in credentials:
        return TOKEN_ATTEMPTS
    username = credentials.get("username")
    if username is None:
        username = request.POST.get("username")
    return username


def lockout_response(request: HttpRequest, *args: Any) -> HttpResponse:
    """What a locked-out caller gets: a typed 429 under /api/, the login form with the reason
    elsewhere. Both say when to try again."""
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = (
        f"Too many failed sign-in attempts; try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}."
    )
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "too_many_attempts", "message": message}, status=429
        )
    else:
        from django.contrib.auth.forms import AuthenticationForm

        form = AuthenticationForm(request)
        response = render(
            request, "registration/login.html", {"form": form, "lockout": message}, status=429
        )
    response["Retry-After"] = retry_after
    return response

"""Authentication for `/api/`: a personal bearer token for scripts, or the portal's session
cookie (with Django's CSRF check on unsafe methods). Token checks go through Django's
`authenticate`, so failed attempts are counted and throttled (django-axes) like failed logins;
a known token from a caller with too few recent failures to be locked out signs in with one
query for the token, its user's roles and the caller's failures."""

from __future__ import annotations

import math
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from ninja.security import HttpBearer, SessionAuth

from core.tokens import check_token, user_for_token

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
        credentials = {"api_token": token}
        attempts = _failed_attempts(request, credentials)
        user = None
        if attempts is not None:
            since = get_cool_off_threshold(request) if attempts else None
            check = check_token(token, attempts, since)
            if (check.failures or 0) < get_failure_limit(request, credentials):
                user = check.user
        if user is None:
            # An unknown token, or a caller that may be locked out: through Django's
            # `authenticate`, where django-axes counts the failure or refuses the caller.
            user = authenticate(request, api_token=token)
        if user is None:
            return None
        # Endpoints read `request.user` whichever way the caller signed in.
        request.user = user
        return user


def _failed_attempts(
    request: HttpRequest, credentials: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """django-axes' filters for the caller's failed token attempts, counted since its cool-off
    threshold (none to count when axes is off), or None when only axes' own check can tell: a
    blocked address, a handler that does not keep attempts in the database, or no cool-off."""
    if not getattr(settings, "AXES_ENABLED", True):
        return []
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    if not isinstance(handler, AxesDatabaseHandler) or handler.is_blacklisted(request, credentials):
        return None
    if settings.AXES_COOLOFF_TIME is None:
        return None
    filters = get_client_parameters(
        get_client_username(request, credentials),
        getattr(request, "axes_ip_address", None),
        getattr(request, "axes_user_agent", None),
        request,
        credentials,
    )
    if any(value is None for each in filters for value in each.values()):
        return None  # axes matches a missing address as NULL; leave that to it
    return filters


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

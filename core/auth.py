"""Authentication for `/api/`: a personal bearer token for scripts, or the portal's session
cookie (with Django's CSRF check on unsafe methods)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from core.tokens import user_for_token


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        # Endpoints read `request.user` whichever way the caller signed in.
        request.user = user
        return user


class PortalSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated else None


api_auth = [ApiTokenAuth(), PortalSessionAuth()]

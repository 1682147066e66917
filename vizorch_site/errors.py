"""Every API error is a typed JSON body, `{"code", "message", "detail"?}` (core.schemas.ErrorOut).
Services raise domain errors (core.errors); this is the one place that turns them, and the
framework's own failures, into HTTP responses."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from core.errors import DomainError, ErrorKind
from templates_app.errors import VersionConflict

STATUS_BY_KIND: dict[ErrorKind, int] = {
    "invalid": 422,
    "refused": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "precondition": 428,
    "too_large": 413,
    "busy": 429,
    "unavailable": 503,
    "timeout": 504,
}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        headers: dict[str, str] = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, VersionConflict):
            headers["ETag"] = f'"{exc.current_version}"'
        status = STATUS_BY_KIND[exc.kind]
        return error_response(api, request, status, exc.code, exc.message, exc.detail, headers)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "unauthenticated",
            "Sign in, or send a personal API token as 'Authorization: Bearer <token>'.",
        )

    @api.exception_handler(ValidationError)
    def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            api, request, 422, "invalid_request", "The request is not valid.", exc.errors
        )

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", str(exc) or "Not found.")

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return error_response(api, request, exc.status_code, code, exc.message)

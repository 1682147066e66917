"""Every API error is a typed JSON body, `{"code", "message", "detail"?}` (core.schemas.ErrorOut).
Services raise domain errors (core.errors); this is the one place that turns them, and the
framework's own failures, into HTTP responses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from core.errors import DomainError, ErrorKind
from templates_app.errors import VersionConflict

logger = logging.getLogger(__name__)

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
        if exc.status_code == 403 and "CSRF" in exc.message:
            code, message = "csrf_failed", CSRF_MESSAGE
        else:
            code, message = code_for_status(exc.status_code), exc.message
        return error_response(api, request, exc.status_code, code, message)

    @api.exception_handler(RequestDataTooBig)
    def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(
            api,
            request,
            413,
            "body_too_large",
            f"The request body is larger than {limit} bytes, the limit for a request.",
            {"limit_bytes": limit},
        )

    @api.exception_handler(TooManyFieldsSent)
    def on_too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
        return error_response(api, request, 400, "bad_request", "The form has too many fields.")

    @api.exception_handler(MultiPartParserError)
    def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return error_response(
            api, request, 400, "bad_request", f"The multipart body cannot be read: {exc}"
        )

    @api.exception_handler(Exception)
    def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug, not bad input: logged with its traceback, answered without it (DEBUG or not).
        logger.error("%s %s failed", request.method, request.path, exc_info=exc)
        return error_response(api, request, 500, "server_error", SERVER_ERROR_MESSAGE)


CSRF_MESSAGE = (
    "The CSRF check failed: a signed-in browser must send the csrftoken cookie's value as the "
    "X-CSRFToken header (scripts use 'Authorization: Bearer <token>' instead)."
)
SERVER_ERROR_MESSAGE = "The server failed to answer this request; the failure has been logged."


def code_for_status(status: int) -> str:
    """The error code of a response that carries no domain error (framework-level failures)."""
    return {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "body_too_large",
        429: "too_many_requests",
        500: "server_error",
    }.get(status, "error")


Middleware = Callable[[HttpRequest], Any]


class ApiErrorBodies:
    """Under /api/, an error answered outside the API's handlers (an unknown URL, Django's own
    400 or 500 pages, DEBUG's technical pages) becomes a typed JSON body too; its headers (Allow,
    Retry-After) stay."""

    # Synchronous: the middleware chain runs in the request's thread (vizorch_site/handler.py).
    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self._typed(request, self.get_response(request))

    @staticmethod
    def _typed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.streaming
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        message = SERVER_ERROR_MESSAGE if status >= 500 else f"{phrase}."
        typed = JsonResponse({"code": code_for_status(status), "message": message}, status=status)
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if name in response:
                typed[name] = response[name]
        return typed

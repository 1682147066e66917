"""The domain error base. Services and selectors raise these; they know nothing of HTTP. The API
assembly (vizorch_site/errors.py) maps each error's `kind` to a status code in one table, and
the admin shows their messages, so every failure reaches a user as `{"code", "message",
"detail"?}` whatever the surface."""

from __future__ import annotations

from typing import Any, Literal

# What went wrong, from the caller's point of view. The HTTP status belongs to the API layer.
ErrorKind = Literal[
    "invalid",  # the input is malformed or breaks a rule of the domain
    "refused",  # a well-formed request the product will not carry out (e.g. refused SQL)
    "unauthenticated",
    "forbidden",
    "not_found",
    "conflict",  # the target changed or is in a state that does not allow this
    "precondition",  # the request must say which version it is based on
    "too_large",
    "busy",  # try again later (`retry_after` seconds)
    "unavailable",  # a dependency is down
    "timeout",
]


class DomainError(Exception):
    """A failure with a stable `code`, a message a user can act on and optional `detail`."""

    kind: ErrorKind = "invalid"
    code: str = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        detail: Any = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail = detail
        self.retry_after = retry_after


class InvalidInput(DomainError):
    kind: ErrorKind = "invalid"
    code = "invalid_request"


class Refused(DomainError):
    kind: ErrorKind = "refused"
    code = "refused"


class Forbidden(DomainError):
    kind: ErrorKind = "forbidden"
    code = "forbidden"


class NotFound(DomainError):
    kind: ErrorKind = "not_found"
    code = "not_found"


class Conflict(DomainError):
    kind: ErrorKind = "conflict"
    code = "conflict"


class PreconditionRequired(DomainError):
    kind: ErrorKind = "precondition"
    code = "precondition_required"


class TooLarge(DomainError):
    kind: ErrorKind = "too_large"
    code = "too_large"


class Busy(DomainError):
    kind: ErrorKind = "busy"
    code = "busy"


class Unavailable(DomainError):
    kind: ErrorKind = "unavailable"
    code = "unavailable"

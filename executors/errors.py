"""Typed failures of the data proxy. Each carries a human message and a stable code; how a
caller presents them (an HTTP status, a chat stage) is the caller's business."""

from __future__ import annotations

from core.errors import DomainError, ErrorKind, NotFound


class ExecutorError(DomainError):
    kind: ErrorKind = "refused"
    code = "executor_error"


class SqlRefused(ExecutorError):
    """The SQL guard refused the statement; nothing was executed."""

    code = "sql_refused"


class QueryFailed(ExecutorError):
    """The engine rejected or failed the statement (syntax, unknown column, ...)."""

    code = "query_failed"


class QueryTimeout(ExecutorError):
    kind: ErrorKind = "timeout"
    code = "query_timeout"


class QueryCancelled(ExecutorError):
    kind: ErrorKind = "conflict"
    code = "query_cancelled"


class EngineUnavailable(ExecutorError):
    """The engine could not be reached (every endpoint down, cluster unreachable)."""

    kind: ErrorKind = "unavailable"
    code = "engine_unavailable"


class UnknownEngine(ExecutorError):
    kind: ErrorKind = "not_found"
    code = "unknown_engine"


class TooManyQueries(ExecutorError):
    """The caller kept as many queries running as it may for the statement's whole wait; retry
    after `retry_after` s."""

    kind: ErrorKind = "busy"
    code = "too_many_queries"

    def __init__(self, message: str, *, retry_after: int = 2) -> None:
        super().__init__(message, retry_after=retry_after)


class EngineBusy(ExecutorError):
    """Every query slot of the engine stayed taken for the statement's whole wait; retry after
    `retry_after` s. The engine, not the caller, is the limit."""

    kind: ErrorKind = "unavailable"
    code = "engine_busy"

    def __init__(self, message: str, *, retry_after: int = 2) -> None:
        super().__init__(message, retry_after=retry_after)


class ResultTooLarge(ExecutorError):
    """A large result was asked for as JSON; the message names the Parquet form."""

    kind: ErrorKind = "too_large"
    code = "result_too_large"


class ResultNotFound(NotFound):
    """No stored result by that id that the caller may read. Someone else's result answers the
    same as a missing one, so ids of other people's results do not leak."""

    code = "not_found"


class ResultQuotaExceeded(ExecutorError):
    """The owner's stored results (or the whole store) are at their size bound; nothing ran."""

    kind: ErrorKind = "busy"
    code = "result_quota_exceeded"


class InvalidCatalogFile(ExecutorError):
    """A semantic catalog file that cannot be imported; nothing was changed."""

    kind: ErrorKind = "invalid"
    code = "invalid_catalog_file"

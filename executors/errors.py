"""Typed failures of the data proxy. Each carries a human message, a stable code and the run stage
the chat stream reports it under, so callers never have to guess how to present an engine
failure."""

from __future__ import annotations

from typing import Literal

Stage = Literal["sql_execution", "code_generation", "data_fetch"]


class ExecutorError(Exception):
    code: str = "executor_error"
    stage: Stage = "sql_execution"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class SqlRefused(ExecutorError):
    """The SQL guard refused the statement; nothing was executed."""

    code = "sql_refused"


class QueryFailed(ExecutorError):
    """The engine rejected or failed the statement (syntax, unknown column, ...)."""

    code = "query_failed"


class QueryTimeout(ExecutorError):
    code = "query_timeout"
    http_status = 504


class QueryCancelled(ExecutorError):
    code = "query_cancelled"
    http_status = 409


class EngineUnavailable(ExecutorError):
    """The engine could not be reached (every endpoint down, cluster unreachable)."""

    code = "engine_unavailable"
    stage = "data_fetch"
    http_status = 503


class UnknownEngine(ExecutorError):
    code = "unknown_engine"
    http_status = 404


class Busy(ExecutorError):
    """A direct statement did not get its turn within its wait; retry after `retry_after` s."""

    def __init__(self, message: str, *, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyQueries(Busy):
    """The caller kept as many queries running as it may for the statement's whole wait."""

    code = "too_many_queries"
    http_status = 429


class EngineBusy(Busy):
    """Every query slot of the engine stayed taken for the statement's whole wait."""

    code = "engine_busy"
    http_status = 503


class ResultTooLarge(ExecutorError):
    """A large result was asked for as JSON; the message names the Parquet form."""

    code = "result_too_large"
    stage = "data_fetch"
    http_status = 413

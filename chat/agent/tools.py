"""The agent's tools (Pydantic-typed LangChain tools) and the data access behind them. Every
statement goes through the executors' guard and result store; the tools report `sql`, `data` and
`progress` events through the run's emitter and answer the model in the text protocol of
docs/artifact.md (JSON, or `ERROR: <message>` for a statement the model may repair)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from chat import conf
from chat.agent import grounding
from chat.events import DataReadyEvent, ProgressEvent, SqlEvent, SseEvent
from executors.catalog.model import SemanticCatalog
from executors.engines.base import Progress
from executors.errors import EngineUnavailable, ExecutorError, QueryCancelled
from executors.schemas import ResultColumn

if TYPE_CHECKING:
    from executors.services import StoredResult

Emit = Callable[[SseEvent], Coroutine[Any, Any, None]]


def tool_text(stored: StoredResult, *, with_rows: bool = True) -> str:
    """What the model reads back from `run_sql`: the result's shape and its first rows (none
    when data values must not reach the model)."""
    return json.dumps(
        {
            "result_id": stored.id,
            "row_count": stored.row_count,
            "truncated": stored.truncated,
            "columns": stored.columns,
            "preview": stored.preview if with_rows else [],
        },
        default=str,
    )


def data_ready_event(stored: StoredResult) -> DataReadyEvent:
    return DataReadyEvent(
        url=stored.url,
        size="large" if stored.size == "large" else "small",
        format="parquet" if stored.format == "parquet" else "json",
        row_count=stored.row_count,
        truncated=stored.truncated,
        columns=[ResultColumn.model_validate(column) for column in stored.columns],
    )


# --- data access (executors) -----------------------------------------------------------------


def engines(user: Any = None) -> list[tuple[str, str]]:
    """(name, dialect) of every configured engine (of those `user` may use, when given)."""
    from executors import access, registry

    return [
        (engine.name, engine.dialect)
        for engine in registry.all_engines()
        if user is None or access.can_use_engine(user, engine.name)
    ]


def _may_use(user: Any, engine: str) -> bool:
    from executors import access

    return access.can_use_engine(user, engine)


def default_engine() -> str:
    from executors import registry

    return registry.default_engine_name()


def semantic_catalog(engine: str | None = None) -> SemanticCatalog:
    """The visible semantic catalog of one engine (hidden columns left out); an engine that was
    never profiled and cannot be read is `EngineUnavailable`."""
    from executors.catalog.selectors import semantic_catalog as read

    return read(engine)


async def execute_sql(
    sql: str,
    *,
    engine: str | None,
    user: Any,
    tag: str,
    on_progress: Callable[[Progress], None] | None = None,
) -> StoredResult:
    """Guard, run and store one statement; raises `executors.errors.ExecutorError` subclasses.
    A run's statement waits for its turn on the engine as long as the run lives: it is never
    refused for being busy."""
    from executors import services

    return await services.aexecute_query(
        sql,
        engine_name=engine,
        owner=user,
        tag=tag,
        on_progress=on_progress,
        max_wait_s=math.inf,
    )


def load_result(user: Any, result_id: str) -> StoredResult:
    """A result the user may read (raises `ResultNotFound` otherwise)."""
    from executors import services
    from executors.access import readable_result

    return services.stored(readable_result(user, result_id))


def cancel_query(engine: str | None, tag: str) -> bool:
    from executors import services

    try:
        return services.cancel_query(tag, engine_name=engine)
    except ExecutorError:
        return False


# --- the tools -------------------------------------------------------------------------------


class ListTablesArgs(BaseModel):
    pass


class DescribeTableArgs(BaseModel):
    table: str = Field(description="Table name as listed by list_tables.")


class RunSqlArgs(BaseModel):
    sql: str = Field(description="One read-only SELECT (or WITH) statement.")
    engine: str | None = Field(default=None, description="Engine name; default engine if omitted.")


class SubmitSparkArgs(BaseModel):
    sql: str = Field(description="One read-only Spark SQL SELECT statement for a large job.")


class SqlFailure(Exception):
    """A statement failed in a way the model may repair (refused, invalid, timed out)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DataFetchFailure(Exception):
    """The engine is unreachable: no repair can help."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ToolBox:
    """The tools of one run, bound to its user, its engine choice and its emitter."""

    user: Any
    run_tag: str
    emit: Emit
    engine: str | None = None
    results: list[StoredResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    last_sql: str = ""
    last_engine: str = ""
    active_engine: str | None = None
    # The run's catalog, read once (by the runner, or by the first tool that needs it).
    catalog: SemanticCatalog | None = None
    _spark_available: bool = False

    def tools(self) -> list[BaseTool]:
        names = [name for name, _ in engines()]
        self._spark_available = "spark" in names
        tools: list[BaseTool] = [
            StructuredTool.from_function(
                coroutine=self.list_tables,
                name="list_tables",
                description="List the tables you can query with their columns, the joins "
                "between them and the named metrics.",
                args_schema=ListTablesArgs,
            ),
            StructuredTool.from_function(
                coroutine=self.describe_table,
                name="describe_table",
                description="One table in full: columns with types, roles, synonyms, "
                "descriptions and sample values; its joins and metrics.",
                args_schema=DescribeTableArgs,
            ),
            StructuredTool.from_function(
                coroutine=self.run_sql,
                name="run_sql",
                description=(
                    "Run one read-only SQL query on a DuckDB engine and store its result. "
                    "Answers JSON {result_id, row_count, truncated, columns, preview} or "
                    "'ERROR: <message>'."
                ),
                args_schema=RunSqlArgs,
            ),
        ]
        if self._spark_available:
            tools.append(
                StructuredTool.from_function(
                    coroutine=self.submit_spark,
                    name="submit_spark",
                    description="Run one read-only Spark SQL query on the Spark cluster (large "
                    "jobs); same answer as run_sql.",
                    args_schema=SubmitSparkArgs,
                )
            )
        return tools

    async def read_catalog(self) -> SemanticCatalog:
        if self.catalog is None:
            # Thread-sensitive: the ORM read (and a first-use profile's writes) run in the
            # run's own sync thread (the worker drives each run in a ThreadSensitiveContext).
            self.catalog = await sync_to_async(semantic_catalog)(self.engine)
        return self.catalog

    async def list_tables(self) -> str:
        return grounding.listing(await self.read_catalog())

    async def describe_table(self, table: str) -> str:
        found = grounding.describe(
            await self.read_catalog(), table, send_samples=conf.send_samples()
        )
        return found or f"ERROR: there is no table called {table!r}; call list_tables."

    async def run_sql(self, sql: str, engine: str | None = None) -> str:
        return await self._execute(sql, engine or self.engine)

    async def submit_spark(self, sql: str) -> str:
        return await self._execute(sql, "spark")

    async def _execute(self, sql: str, engine: str | None) -> str:
        loop = asyncio.get_running_loop()
        name = engine or default_engine()
        if self.user is not None and not await sync_to_async(_may_use)(self.user, name):
            # A model may name any engine; only those the user may use run anything.
            self.failures.append(f"engine {name!r} is not available")
            return f"ERROR: there is no engine called {name!r}; use one listed in the prompt."
        self.active_engine = name
        await self.emit(SqlEvent(engine=name, sql=sql))

        def on_progress(progress: Progress) -> None:
            event = ProgressEvent(
                stage=progress.stage,
                done=progress.done,
                total=progress.total,
                position=progress.position,
            )
            asyncio.run_coroutine_threadsafe(self.emit(event), loop)

        try:
            stored = await execute_sql(
                sql, engine=name, user=self.user, tag=self.run_tag, on_progress=on_progress
            )
        except QueryCancelled:
            raise asyncio.CancelledError from None
        except EngineUnavailable as exc:
            raise DataFetchFailure(exc.message) from exc
        except ExecutorError as exc:
            self.failures.append(exc.message)
            return f"ERROR: {exc.message}"
        finally:
            self.active_engine = None
        self.results.append(stored)
        self.last_sql, self.last_engine = sql, name
        await self.emit(data_ready_event(stored))
        return tool_text(stored, with_rows=conf.send_samples())

"""Django's ASGI handler as daphne runs it, with four changes.

- A request Django cannot even build (a body over the limit, undecodable bytes) is answered under
  /api/ with a typed JSON body like every other error; Django's own answer there is empty or
  plain text and never reaches any middleware.
- Django gives every request a thread of its own for its synchronous steps (middleware,
  authentication, sync views), started for the request and stopped after it: a fifth of what a
  small request costs the server. Here a request takes an idle thread a request before it left,
  and gives it back; it still has it to itself, so a slow query or export blocks nobody else.
- A run's stream lives for minutes on the process's shared database lanes (core/db.py): 200
  streams each holding a thread held 200 idle threads and their connections (memory per stream
  twice its budget). Its synchronous steps (middleware, authentication, creating the run) run
  where the database is fastest for a burst of them. On PostgreSQL that is a request thread,
  taken for those steps only, connection handed back before the stream begins: the steps are
  mostly round trips to the server (py-spy: two thirds of the lanes' time waiting on psycopg),
  and four lanes let four wait at once (200 streams at once, first event p99 3.4-4.1 s on the
  lanes, 1.4-2.5 s on request threads). On SQLite it is the lanes: each step writes, SQLite has
  one writer, and 200 threads asking at once sleep in its busy handler (2.0-2.1 s on the lanes,
  3.8-4.2 s on request threads). Stream starts in flight are counted (core/starts.py): the
  in-process worker's background work waits for a moment without any.
- The middleware and the view run in that thread in one go. Django's ASGI handler calls each
  hook of each middleware (Django's own are synchronous at heart) through `sync_to_async`: about
  fifteen thread hops per request, half of what a trivial authenticated GET cost the server
  (8.1 -> 4.7 ms of CPU per `GET /api/me`). An async view runs on the event loop from that
  thread (`async_to_sync`), holding it meanwhile: the streaming views are synchronous, so a
  burst of streams does not hold the shared lanes while the event loop is busy; their
  responses stream from the event loop as before.
- Django sends `request_started` and closes the response (`request_finished`) in thread hops of
  their own, one before and one after the one for the middleware and the view: ~0.23 ms of CPU
  each, half of the rest of a trivial request's Django side. Here the signal goes out at the
  start of that hop, and a response whose body is in hand (not a stream) is closed at its end,
  before it is sent: its content is bytes by then, and its connection goes back sooner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connection
from django.http import HttpResponseBase, JsonResponse
from django.urls import set_script_prefix

from chat.api import STREAM_PATHS
from core.db import lane, released
from core.starts import stream_starts
from vizorch_site.errors import code_for_status

API_PREFIX = "/api/"
# Idle request threads kept for the next requests; a burst beyond this many starts threads that
# stop when their request ends, as Django's own do.
IDLE_REQUEST_THREADS = 32


class RequestThreads:
    """Single-thread executors, each lent to one request at a time and reused."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._idle: list[ThreadPoolExecutor] = []

    @contextlib.asynccontextmanager
    async def thread(self) -> AsyncIterator[None]:
        executor = (
            self._idle.pop()
            if self._idle
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="vizorch-request")
        )
        try:
            async with ThreadSensitiveContext(executor=executor):
                yield
        finally:
            if len(self._idle) < self.keep:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)


def is_stream(path: str) -> bool:
    return path.startswith(API_PREFIX) and STREAM_PATHS.match(path[len(API_PREFIX) :]) is not None


class VizorchASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads(IDLE_REQUEST_THREADS)
        self.stream_steps_on_threads = connection.vendor != "sqlite"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP connections only, not {scope['type']}.")
        context = lane() if is_stream(str(scope.get("path", ""))) else self.threads.thread()
        async with context:
            await self.handle(scope, receive, send)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        """Django's `ASGIHandler.handle`, with `request_started` and the closing of a response
        in hand moved into the view's thread hop (`_respond`)."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await signals.request_started.asend(sender=self.__class__, scope=scope)
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request() -> HttpResponseBase:
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client left mid-send
                await self.send_response(response, send)
            return response

        # As Django does: a disconnect while the response is built cancels it.
        processing = asyncio.create_task(process_request())
        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)), processing]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                with contextlib.suppress(RequestAborted):
                    task.result()
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = processing.result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            if response.streaming:
                await sync_to_async(response.close)()
        body_file.close()

    async def _respond(
        self, request: Any, get_response: Callable[[Any], Any] | None = None
    ) -> HttpResponseBase:
        """`get_response` (Django's own by default) in one thread hop with the request's start
        and, for a response whose body is in hand, its close (see the module's docstring)."""
        view = get_response or self.get_response

        def respond() -> HttpResponseBase:
            signals.request_started.send(sender=self.__class__, scope=request.scope)
            response = view(request)
            if not response.streaming:
                response.close()
            return response

        return await sync_to_async(respond, thread_sensitive=True)()

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: Any) -> Any:
        if is_stream(request.path):
            async with stream_starts.starting():
                return await self._stream_response(request)
        return await self._respond(request)

    async def _stream_response(self, request: Any) -> Any:
        if self.stream_steps_on_threads:
            # A thread for the steps only (within the stream's lane context); no connection
            # stays with it once the view has returned the stream.
            async with self.threads.thread():
                return await self._respond(request, released(self.get_response))
        # The stream's lane, set by __call__'s context.
        return await self._respond(request)

    def create_request(self, scope: Any, body_file: Any) -> Any:
        request, error = super().create_request(scope, body_file)
        if error is not None and str(scope.get("path", "")).startswith(API_PREFIX):
            status = error.status_code
            message = (
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
                if status == 413
                else "The request cannot be read (its headers or body are not valid)."
            )
            error = JsonResponse(
                {"code": code_for_status(status), "message": message}, status=status
            )
        return request, error

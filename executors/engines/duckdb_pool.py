"""A small pool of DuckDB worker processes (executors.engines.duckdb_worker) and the watchdog that
bounds each statement from the outside: the caller waits for the reply while reading the worker's
resident memory, and a worker that grows past its limit, or does not stop within a grace period
after an interrupt (timeout or cancel), is killed and later replaced. RLIMIT_AS is not used: DuckDB
reserves far more address space than it touches."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

from executors.engines.duckdb_worker import CatalogRequest, Reply, RunRequest, WorkerConfig
from executors.errors import EngineUnavailable, QueryFailed, QueryTimeout

logger = logging.getLogger(__name__)

POLL_S = 0.02
INTERRUPT_REPEAT_S = 0.25
# How long a worker may take to honour an interrupt before it is killed: DuckDB checks for
# interrupts between pipeline steps, never while it parses or plans.
INTERRUPT_GRACE_S = 1.0
START_TIMEOUT_S = 30.0
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_ids = itertools.count(1)

MEMORY_MESSAGE = "The statement needed more memory than allowed ({limit}) and was stopped."


class Stopped(Exception):
    """The worker was interrupted (or killed) because the caller asked: timeout or cancel."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resident_bytes(pid: int) -> int:
    """Resident set size of a process (0 when it is gone or /proc is not there)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def format_bytes(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


class Worker:
    """One worker process and the two sockets to it."""

    def __init__(self, config: WorkerConfig) -> None:
        parent_requests, child_requests = socket.socketpair()
        parent_control, child_control = socket.socketpair()
        fds = [child_requests.fileno(), child_control.fileno()]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        )}  # fmt: skip
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "executors.engines.duckdb_worker",
                 *(str(fd) for fd in fds), str(os.getpid())],
                pass_fds=fds, env=env, cwd=PACKAGE_ROOT, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, close_fds=True,
            )  # fmt: skip
        finally:
            child_requests.close()
            child_control.close()
        self.requests = Connection(parent_requests.detach())
        self.control = Connection(parent_control.detach())
        self.healthy = True
        try:
            self.requests.send(config)
            if not self.requests.poll(START_TIMEOUT_S):
                raise EngineUnavailable("The DuckDB worker did not start in time.")
            ready: Reply = self.requests.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise EngineUnavailable(f"The DuckDB worker could not start: {exc}") from exc
        except BaseException:
            self.kill()
            raise
        if ready.error:
            self.kill()
            raise EngineUnavailable(ready.message)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.healthy and self.process.poll() is None

    def rss(self) -> int:
        return resident_bytes(self.process.pid)

    def call(
        self,
        request: RunRequest | CatalogRequest,
        *,
        deadline: float,
        memory_limit: int,
        stop: Callable[[], str],
    ) -> tuple[Reply, bytes | None]:
        """Send `request` and wait for its reply, watching memory, the deadline and `stop()`
        (a reason such as "cancel", or ""). Raises `Stopped`, or `QueryFailed` when the worker
        outgrew `memory_limit` or died."""
        try:
            self.requests.send(request)
        except OSError as exc:
            self.kill()
            raise QueryFailed(f"The DuckDB worker stopped unexpectedly ({exc}).") from exc
        interrupted_at = last_interrupt = 0.0
        while True:
            try:
                if self.requests.poll(POLL_S):
                    reply: Reply = self.requests.recv()
                    payload = self.requests.recv_bytes() if reply.inline else None
                    return reply, payload
            except (EOFError, OSError) as exc:
                self.kill()
                if interrupted_at:
                    raise Stopped(stop() or "timeout") from exc
                raise QueryFailed(self._death_message()) from exc
            if memory_limit and self.rss() > memory_limit:
                used = self.rss()
                self.kill()
                logger.warning("killed DuckDB worker %s at %s resident", self.pid, used)
                raise QueryFailed(MEMORY_MESSAGE.format(limit=format_bytes(memory_limit)))
            reason = stop() or ("timeout" if time.monotonic() > deadline else "")
            if not reason:
                continue
            now = time.monotonic()
            interrupted_at = interrupted_at or now
            if now - last_interrupt >= INTERRUPT_REPEAT_S:
                # An interrupt between two pipeline steps can be missed: repeat it.
                with contextlib.suppress(OSError):
                    self.control.send(request.id)
                last_interrupt = now
            if now - interrupted_at > INTERRUPT_GRACE_S:
                self.kill()
                raise Stopped(reason)

    def _death_message(self) -> str:
        code = self.process.poll()
        how = f"exit status {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"
        return f"The DuckDB worker stopped unexpectedly ({how}); the statement was not completed."

    def kill(self) -> None:
        self.healthy = False
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        for conn in (self.requests, self.control):
            with contextlib.suppress(OSError, AttributeError):
                conn.close()


class WorkerPool:
    """At most `size` workers, started on demand and kept while healthy."""

    def __init__(self, config: WorkerConfig, *, size: int, memory_limit: int) -> None:
        self.config = config
        self.size = size
        self.memory_limit = memory_limit
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._starting = 0
        self._closed = False

    @contextlib.contextmanager
    def worker(self, wait_s: float | None, *, start: bool = True) -> Iterator[Worker]:
        """A worker of the pool; `wait_s=None` does not wait (QueryTimeout when all are busy),
        `start=False` takes only a worker already running (QueryTimeout when there is none)."""
        acquired = (
            self._slots.acquire(blocking=False)
            if wait_s is None
            else self._slots.acquire(timeout=wait_s)
        )
        if not acquired:
            raise QueryTimeout(f"The engine is busy: all {self.size} DuckDB workers are running.")
        worker: Worker | None = None
        try:
            with self._lock:
                self._closed = False
                while self._idle and worker is None:
                    candidate = self._idle.pop()
                    if candidate.alive():
                        worker = candidate
                    else:
                        candidate.kill()
            if worker is None and not start:
                raise QueryTimeout("No DuckDB worker is running yet.")
            if worker is None:
                worker = Worker(self.config)
            with self._lock:
                self._busy.add(worker)
            yield worker
        finally:
            if worker is not None:
                with self._lock:
                    self._busy.discard(worker)
                    keep = worker.alive() and not self._closed
                    if keep:
                        self._idle.append(worker)
                if not keep:
                    worker.kill()
            self._slots.release()
            if worker is not None and not keep:
                self.warm()  # replace the worker that was killed before anyone waits for it

    def call(
        self,
        request: RunRequest | CatalogRequest,
        *,
        timeout_s: float,
        wait_s: float | None,
        stop: Callable[[], str] = lambda: "",
    ) -> tuple[Reply, bytes | None]:
        with self.worker(wait_s) as worker:
            return worker.call(
                request,
                deadline=time.monotonic() + timeout_s,
                memory_limit=self.memory_limit,
                stop=stop,
            )

    def warm(self) -> None:
        """Start workers in the background until `size` are running (after a kill, at start-up),
        so the next statement, and health checks, find one ready."""
        with self._lock:
            missing = self.size - len(self._idle) - len(self._busy) - self._starting
            if missing <= 0 or self._closed:
                return
            self._starting += missing
        for _ in range(missing):
            threading.Thread(target=self._start_one, daemon=True).start()

    def _start_one(self) -> None:
        try:
            worker: Worker | None = Worker(self.config)
        except (EngineUnavailable, OSError) as exc:
            logger.warning("could not start a DuckDB worker: %s", exc)
            worker = None
        with self._lock:
            self._starting -= 1
            if worker is not None and not self._closed:
                self._idle.append(worker)
                worker = None
        if worker is not None:
            worker.kill()

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in [*self._idle, *self._busy] if w.alive()]

    def busy(self) -> int:
        with self._lock:
            return len(self._busy)

    def close(self) -> None:
        """Stop every worker; busy ones end their statement with an error."""
        with self._lock:
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle.clear()
        for worker in workers:
            worker.kill()


def next_request_id() -> int:
    return next(_ids)


# --- pools shared by engines of one configuration ------------------------------------------------
# The registry rebuilds its engines whenever a setting they come from changes (tests do so for
# every test): engines on the same file with the same lock-down share one pool, which the
# registry hands over by building the new engines before it closes the old ones, so a rebuilt
# engine does not pay a worker start (a Python process importing DuckDB and pyarrow) again.

_shared_lock = threading.Lock()
_shared: dict[tuple[WorkerConfig, int, int], tuple[WorkerPool, int]] = {}


def acquire_pool(config: WorkerConfig, *, size: int, memory_limit: int) -> WorkerPool:
    key = (config, size, memory_limit)
    with _shared_lock:
        pool, refs = _shared.get(key, (None, 0))
        if pool is None:
            pool = WorkerPool(config, size=size, memory_limit=memory_limit)
        _shared[key] = (pool, refs + 1)
        return pool


def release_pool(pool: WorkerPool) -> None:
    """Drop one engine's hold on `pool`; the last one stops its workers."""
    key = (pool.config, pool.size, pool.memory_limit)
    with _shared_lock:
        held, refs = _shared.get(key, (None, 0))
        if held is pool and refs > 1:
            _shared[key] = (pool, refs - 1)
            return
        if held is pool:
            _shared.pop(key, None)
    pool.close()

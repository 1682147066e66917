"""Spark through Spark Connect (`sc://host:port`): every statement runs under its own job tag so it
can be interrupted, reports stage progress through the session's progress handler, and comes back
as Arrow when small or as Parquet part files that Spark writes into the result directory (which
must be storage the Spark driver and Vizorch share) when large."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

from executors.engines.base import (
    ColumnInfo,
    Engine,
    EngineHealth,
    EngineResult,
    Progress,
    ProgressCallback,
    QueryLimits,
    TableInfo,
)
from executors.errors import EngineUnavailable, QueryCancelled, QueryFailed, QueryTimeout

if TYPE_CHECKING:
    from pyspark.sql.connect.session import SparkSession

# gRPC codes that mean the cluster, not the statement, is the problem.
_UNREACHABLE = {"UNAVAILABLE", "UNAUTHENTICATED", "DEADLINE_EXCEEDED", "PERMISSION_DENIED"}
# Session gone (server restarted, session expired): a fresh session fixes it.
_STALE_SESSION = ("INVALID_HANDLE", "SESSION_NOT_FOUND", "SESSION_CLOSED")


INTERRUPT_REPEAT_S = 0.5
# How long a stopped job may take to end on the cluster before the caller is answered anyway.
STOP_GRACE_S = 2.0


class _Stopped(Exception):
    """Raised inside `run` when a stop request arrived before a Spark operation or after the last
    one, when there is nothing on the cluster to interrupt."""


@dataclass
class _Job:
    spark_tag: str
    on_progress: ProgressCallback | None
    stopped_by: str = ""  # "", "timeout" or "cancel"
    stopped_at: float = 0.0
    finished: bool = False
    # The caller stopped waiting for a cluster that did not end the job.
    abandoned: bool = False
    last: Progress | None = None
    stages: int = 0
    # Set when the worker is done and when a stop is asked for.
    wake: threading.Event = field(default_factory=threading.Event)


class SparkEngine(Engine):
    kind = "spark"
    dialect = "spark"

    def __init__(
        self,
        name: str,
        url: str,
        token: str | None,
        results_dir: Path,
        *,
        small_rows: int = 100_000,
        connect_timeout_s: float = 5.0,
        retries: int = 3,
    ) -> None:
        """A cluster whose port does not accept a TCP connection within `connect_timeout_s` is
        unavailable at once; `retries` bounds how long gRPC failures of a reachable one are
        retried (0.25 s doubling: 3 retries give up after about 2 s)."""
        super().__init__(name)
        if not url.startswith("sc://"):
            raise ValueError(f"Spark Connect URL must look like sc://host:port, not {url!r}")
        self.url = url
        self.token = token or None
        self.results_dir = Path(results_dir)
        self.small_rows = small_rows
        self.connect_timeout_s = connect_timeout_s
        self.retries = retries
        parsed = urlsplit(url.split(";", 1)[0].replace("sc://", "http://", 1))
        self._address = (parsed.hostname or "localhost", parsed.port or 15002)
        self._lock = threading.Lock()
        self._spark: SparkSession | None = None
        self._jobs: dict[str, _Job] = {}
        self._local = threading.local()

    # --- session -------------------------------------------------------------------------------

    def _connection_string(self) -> str:
        if self.token is None:
            return self.url
        separator = ";" if "/;" in self.url else ("" if self.url.endswith("/") else "/") + ";"
        return f"{self.url}{separator}token={self.token}"

    def _check_reachable(self) -> None:
        """Fail fast on a cluster that is down instead of waiting out gRPC's retries."""
        try:
            with socket.create_connection(self._address, timeout=self.connect_timeout_s):
                pass
        except OSError as exc:
            raise EngineUnavailable(
                f"Spark Connect at {self.url} is not reachable: {exc.strerror or exc}"
            ) from exc

    def _session(self) -> SparkSession:
        self._check_reachable()
        with self._lock:
            if self._spark is None:
                from pyspark.sql.connect.client.retries import DefaultPolicy
                from pyspark.sql.connect.session import SparkSession

                try:
                    spark = SparkSession.builder.remote(self._connection_string()).create()
                except Exception as exc:
                    raise EngineUnavailable(
                        f"Cannot open a Spark Connect session at {self.url}: {_first_line(exc)}"
                    ) from exc
                spark.client.set_retry_policies(
                    [
                        DefaultPolicy(
                            max_retries=self.retries,
                            initial_backoff=250,
                            backoff_multiplier=2.0,
                            max_backoff=2000,
                            jitter=100,
                        )
                    ]
                )
                # Any callable with ProgressHandler's signature works; subclassing it would mean
                # importing pyspark (slow, noisy) whenever this module is imported.
                spark.registerProgressHandler(cast(Any, self._on_progress))
                self._spark = spark
            return self._spark

    def _forget_session(self) -> None:
        with self._lock:
            spark, self._spark = self._spark, None
        if spark is not None:
            with contextlib.suppress(Exception):
                spark.stop()

    def _on_progress(
        self, stages: Any, inflight_tasks: int, operation_id: str | None, done: bool
    ) -> None:
        """Called by the Connect client on the thread that runs the statement, so the thread's
        current job says whose callback this is. Tasks are summed over the job's stages, as
        pyspark's own progress bar does; stages that Spark skips never count as done."""
        job: _Job | None = getattr(self._local, "job", None)
        if job is None or job.on_progress is None or not stages:
            return
        stages = list(stages)
        job.stages = len(stages)
        self._report(
            job,
            _progress(
                done=sum(int(stage.num_completed_tasks) for stage in stages),
                total=sum(int(stage.num_tasks) for stage in stages),
                finished_stages=sum(1 for stage in stages if stage.done),
                stages=len(stages),
            ),
        )

    def _report(self, job: _Job, snapshot: Progress) -> None:
        if job.on_progress is not None and snapshot != job.last:
            job.last = snapshot
            job.on_progress(snapshot)

    # --- running statements --------------------------------------------------------------------

    def run(
        self,
        sql: str,
        *,
        limits: QueryLimits,
        tag: str,
        on_progress: ProgressCallback | None = None,
    ) -> EngineResult:
        """Run on a worker thread and wait for it, a cancel, or the timeout. A stop interrupts the
        job's tag and waits up to STOP_GRACE_S for the cluster to end it; a cluster that does not
        (frozen, or ignoring the interrupt) is left to it, and the caller gets its answer then."""
        spark = self._session()
        job = _Job(spark_tag=_spark_tag(tag), on_progress=on_progress)
        with self._lock:
            self._jobs[tag] = job
        outcome: Future[EngineResult] = Future()
        worker = threading.Thread(
            target=self._work,
            args=(spark, sql, limits, job, outcome),
            name=f"spark-{self.name}",
            daemon=True,
        )
        watchdog = threading.Timer(limits.timeout_s, self._stop, args=(job, "timeout"))
        watchdog.daemon = True
        try:
            worker.start()
            watchdog.start()
            give_up = time.monotonic() + limits.timeout_s + STOP_GRACE_S
            while not outcome.done():
                if job.stopped_at:
                    give_up = min(give_up, job.stopped_at + STOP_GRACE_S)
                remaining = give_up - time.monotonic()
                if remaining <= 0:
                    break
                job.wake.wait(timeout=remaining)
                job.wake.clear()
            if not outcome.done():
                # The worker cleans up after itself whenever the cluster lets it go.
                job.abandoned = True
                job.on_progress = None
                job.stopped_by = job.stopped_by or "timeout"
                _discard(outcome)  # it may have ended just now
                raise _Stopped()
            return outcome.result()
        except Exception as exc:
            raise self._translate(exc, job, limits) from exc
        finally:
            watchdog.cancel()
            with self._lock:
                if self._jobs.get(tag) is job:
                    del self._jobs[tag]

    def _work(
        self,
        spark: SparkSession,
        sql: str,
        limits: QueryLimits,
        job: _Job,
        outcome: Future[EngineResult],
    ) -> None:
        # Tags and the progress handler's job are per thread: this one runs the statement.
        self._local.job = job
        spark.addTag(job.spark_tag)
        result: EngineResult | None = None
        try:
            result = self._collect(spark, sql, limits, job)
            _go_on(job)  # stopped during the last Spark operation, after its job was done
            if job.last is not None and job.last.done < job.last.total:
                # The job succeeded; stages Spark skipped had nothing left to do.
                self._report(job, _progress(job.last.total, job.last.total, job.stages, job.stages))
            outcome.set_result(result)
        except BaseException as exc:  # handed to the waiting caller, never lost
            if result is not None and result.parquet_path is not None:
                shutil.rmtree(result.parquet_path, ignore_errors=True)
            outcome.set_exception(exc)
        finally:
            job.finished = True
            spark.removeTag(job.spark_tag)
            self._local.job = None
            if job.abandoned:
                _discard(outcome)
            job.wake.set()

    def _collect(
        self, spark: SparkSession, sql: str, limits: QueryLimits, job: _Job
    ) -> EngineResult:
        """Fetch up to the small limit as Arrow; when the caller may keep more rows than that and
        the result is bigger, run it again writing Parquet (the probe is the price of never
        pulling a large result through the driver). A stop that came before an operation keeps
        it from starting: an interrupt finds only operations the cluster already runs."""
        _go_on(job)
        df = spark.sql(sql)
        keep = limits.max_rows
        probe = min(keep, self.small_rows)
        _go_on(job)
        table = df.limit(probe + 1).toArrow()
        if table.num_rows <= probe or keep <= self.small_rows:
            truncated = table.num_rows > keep
            if truncated:
                table = table.slice(0, keep)
            return EngineResult(
                table=table, row_count=table.num_rows, truncated=truncated, schema=table.schema
            )
        self.results_dir.mkdir(parents=True, exist_ok=True)
        path = self.results_dir / f"spark-{uuid.uuid4().hex}"
        _go_on(job)
        df.limit(keep + 1).write.option("compression", "zstd").parquet(str(path))
        try:
            rows, truncated, schema = _trim_parquet(path, keep)
        except Exception:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return EngineResult(parquet_path=path, row_count=rows, truncated=truncated, schema=schema)

    def _stop(self, job: _Job, reason: str) -> None:
        """Interrupt the job's tag, and again every half second until the job is over: an
        interrupt sent while no Spark operation of the tag is running yet finds nothing."""
        if not job.stopped_by:
            job.stopped_by = reason
            job.stopped_at = time.monotonic()
            job.wake.set()
        spark = self._spark
        if job.finished or spark is None:
            return
        with contextlib.suppress(Exception):
            spark.interruptTag(job.spark_tag)
        again = threading.Timer(INTERRUPT_REPEAT_S, self._stop, args=(job, reason))
        again.daemon = True
        again.start()

    def cancel(self, tag: str) -> bool:
        with self._lock:
            job = self._jobs.get(tag)
        if job is None:
            return False
        self._stop(job, "cancel")
        return True

    def _translate(self, exc: Exception, job: _Job, limits: QueryLimits) -> Exception:
        if job.stopped_by == "cancel":
            return QueryCancelled("The Spark job was cancelled.")
        if job.stopped_by == "timeout":
            return QueryTimeout(
                f"The Spark job ran longer than the {limits.timeout_s:g}s limit and was stopped."
            )
        if isinstance(exc, EngineUnavailable | QueryFailed):
            return exc
        status = _grpc_status(exc) or _grpc_status_in_text(str(exc))
        text = _first_line(exc)
        if status in _UNREACHABLE or any(marker in str(exc) for marker in _STALE_SESSION):
            self._forget_session()
            return EngineUnavailable(f"Spark Connect at {self.url} refused the job: {text}")
        return QueryFailed(text)

    # --- health and catalog --------------------------------------------------------------------

    def health(self) -> EngineHealth:
        try:
            version = self._session().version
        except EngineUnavailable as exc:
            return EngineHealth(ok=False, detail=exc.message)
        except Exception as exc:
            self._forget_session()
            return EngineHealth(ok=False, detail=f"{self.url}: {_first_line(exc)}")
        return EngineHealth(ok=True, detail=f"Spark {version} at {self.url}")

    def catalog(self) -> list[TableInfo]:
        """Permanent tables and views of the session's current database: columns, types and
        comments from the session catalog (no job runs; row counts are the profiler's work)."""
        spark = self._session()
        try:
            database = spark.catalog.currentDatabase()
            tables = [t for t in spark.catalog.listTables(database) if not t.isTemporary]
            infos = [
                (table, spark.catalog.listColumns(f"{_quote(database)}.{_quote(table.name)}"))
                for table in tables
            ]
        except Exception as exc:
            raise self._translate(exc, _Job("", None), QueryLimits()) from exc
        return [
            TableInfo(
                name=table.name if database == "default" else f"{database}.{table.name}",
                columns=[
                    ColumnInfo(name=c.name, type=c.dataType, description=c.description or "")
                    for c in columns
                ],
                description=table.description or "",
            )
            for table, columns in infos
        ]

    def close(self) -> None:
        self._forget_session()


def _go_on(job: _Job) -> None:
    if job.stopped_by:
        raise _Stopped()


def _discard(outcome: Future[EngineResult]) -> None:
    """Remove the Parquet files of a result nobody waits for any more."""
    if outcome.done() and outcome.exception() is None:
        path = outcome.result().parquet_path
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)


def _progress(done: int, total: int, finished_stages: int, stages: int) -> Progress:
    """`done` and `total` count tasks, and the stage text says so: the portal shows the text
    beside the two numbers."""
    return Progress(
        stage=f"Spark tasks ({finished_stages} of {stages} stages finished)",
        done=done,
        total=total,
    )


def _trim_parquet(path: Path, keep: int) -> tuple[int, bool, pa.Schema]:
    """Count the rows Spark wrote (footers only) and, when it wrote the one extra row that
    signals truncation, drop it from the last non-empty part file."""
    parts = sorted(p for p in path.glob("*.parquet") if not p.name.startswith((".", "_")))
    if not parts:
        raise QueryFailed(f"Spark wrote no Parquet files into {path}.")
    for leftover in path.glob(".*.crc"):
        leftover.unlink(missing_ok=True)
    counts = [pq.read_metadata(part).num_rows for part in parts]
    schema = pq.read_schema(parts[0])
    total = sum(counts)
    if total <= keep:
        return total, False, schema
    surplus = total - keep
    for part, count in reversed(list(zip(parts, counts, strict=True))):
        if surplus == 0:
            break
        drop = min(count, surplus)
        table = pq.read_table(part)
        pq.write_table(table.slice(0, count - drop), part, compression="zstd")
        surplus -= drop
    return keep, True, schema


def _spark_tag(tag: str) -> str:
    """Spark tags may not be empty or contain commas."""
    return "vizorch-" + (tag.replace(",", "_") or "job")


def _grpc_status(exc: BaseException) -> str:
    getter = getattr(exc, "getGrpcStatusCode", None) or getattr(exc, "code", None)
    if getter is None:
        return ""
    with contextlib.suppress(Exception):
        code = getter()
        return str(getattr(code, "name", code))
    return ""


def _grpc_status_in_text(text: str) -> str:
    found = re.search(r"status = StatusCode\.([A-Z_]+)", text)
    return found.group(1) if found else ""


def _first_line(exc: BaseException) -> str:
    """Spark's message without the JVM stack trace and the plan dump that follow it; for a raw
    gRPC failure, its `details`."""
    text = str(exc).split("\n\nJVM stacktrace:", 1)[0].strip()
    details = re.search(r'details = "([^"]*)"', text)
    if details:
        return details.group(1)
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"

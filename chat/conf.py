"""Chat settings with their defaults; each may be set in Django settings or the environment."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _number(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or default
    return float(value)


def heartbeat_s() -> float:
    """Seconds of silence after which a stream sends a heartbeat comment."""
    return _number("VIZORCH_SSE_HEARTBEAT_S", 15.0)


def orphan_timeout_s() -> float:
    """A run nobody has listened to for this long is cancelled."""
    return _number("VIZORCH_RUN_ORPHAN_TIMEOUT_S", 60.0)


def max_run_s() -> float:
    """Hard ceiling on one run's duration."""
    return _number("VIZORCH_RUN_MAX_S", 600.0)


def watch_interval_s() -> float:
    """How often the worker checks a run for cancellation and listeners."""
    return min(1.0, orphan_timeout_s() / 4)


def listener_touch_s() -> float:
    """How often an attached stream tells the worker it is still there."""
    return max(0.2, min(5.0, orphan_timeout_s() / 3))


def pickup_timeout_s() -> float:
    """A run no worker has started after this long fails with a message saying to start one."""
    return _number("VIZORCH_RUN_PICKUP_TIMEOUT_S", 30.0)


def worker_timeout_s() -> float:
    """A running run whose worker has been silent this long is ended (the worker died)."""
    return _number("VIZORCH_RUN_WORKER_TIMEOUT_S", 60.0)


def drain_s() -> float:
    """A run worker told to stop (SIGTERM) finishes its running runs for up to this long, then
    hands those still running to another worker; its queued runs go to another at once."""
    return _number("VIZORCH_RUN_DRAIN_S", 20.0)


# Runs one worker drives at once by default with an LLM provider: such a run mostly waits for
# the model's answer, so many at once cost the process little.
PROVIDER_RUNS = 24
# ... and per CPU core with the offline model, whose runs are all CPU: more at once only share the
# process's GIL, so each run's events come further apart and no more runs end per second (200 runs
# on 2 cores: p99 gap between a run's events 1.7 s at 24 runs at once, 0.17 s at 4; bench).
OFFLINE_RUNS_PER_CORE = 2


def max_concurrent_runs() -> int:
    """Runs one worker process drives at once; more wait, pending, for a free slot."""
    value = _number("VIZORCH_MAX_CONCURRENT_RUNS", 0)
    if value:
        return max(1, int(value))
    from chat.agent.providers import parse_spec  # imports LangChain: not for every setting

    try:
        offline = parse_spec().provider == "offline"
    except ImproperlyConfigured:  # the worker reports a bad VIZORCH_LLM itself, run by run
        offline = False
    return OFFLINE_RUNS_PER_CORE * (os.cpu_count() or 1) if offline else PROVIDER_RUNS


def max_sql_repairs() -> int:
    return int(_number("VIZORCH_MAX_SQL_REPAIRS", 2))


def runs_channel() -> str:
    """The Channels channel run workers consume (`manage.py runworker <this>`); deployments that
    share one Redis between several Vizorch instances give each its own."""
    value = getattr(settings, "VIZORCH_RUNS_CHANNEL", None) or os.environ.get(
        "VIZORCH_RUNS_CHANNEL"
    )
    return str(value or "vizorch.runs")


def send_samples() -> bool:
    """Whether models are sent data values: the catalog's sample values and min/max, and the
    preview rows of query results (VIZORCH_LLM_SEND_SAMPLES=0 for deployments whose data must not
    reach an external provider; the model then sees names, types and row counts only)."""
    value = getattr(settings, "VIZORCH_LLM_SEND_SAMPLES", None)
    if value is None:
        value = os.environ.get("VIZORCH_LLM_SEND_SAMPLES", "1")
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in {"0", "false", "no", "off"}


def prompt_table_budget() -> int:
    """Catalogs with more tables than this are trimmed to the tables the question is about."""
    return int(_number("VIZORCH_LLM_PROMPT_TABLES", 12))

"""Summaries of repeated measurements: median, spread and tail percentiles."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """n samples: median, p99, and the spread as min..max and the interquartile range."""

    n: int
    p50: float
    p99: float
    low: float
    high: float
    iqr: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return cls(
            n=len(values),
            p50=statistics.median(values),
            p99=percentile(values, 99),
            low=min(values),
            high=max(values),
            iqr=percentile(values, 75) - percentile(values, 25),
        )


def ms(seconds: float) -> str:
    """Seconds as a short millisecond figure: `12.3 ms`, `1 234 ms`."""
    if math.isnan(seconds):
        return "n/a"
    value = seconds * 1000
    if value < 10:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms".replace(",", " ")


def spread_ms(summary: Summary) -> str:
    """`median (min..max, IQR x, n=N)` in milliseconds."""
    return (
        f"{ms(summary.p50)} (range {ms(summary.low)} to {ms(summary.high)}, "
        f"IQR {ms(summary.iqr)}, n={summary.n})"
    )


def size(num_bytes: float) -> str:
    if math.isnan(num_bytes):
        return "n/a"
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if num_bytes >= scale:
            return f"{num_bytes / scale:,.1f} {unit}"
    return f"{num_bytes:.0f} B"


def ratio(value: float, baseline: float) -> str:
    if not baseline or math.isnan(value) or math.isnan(baseline):
        return "n/a"
    return f"{value / baseline:.2f}x"

"""Causes of missed targets, found by profiling (see docs/PERFORMANCE.md), and the next steps."""

from __future__ import annotations

from bench.report import Analysis

ANALYSES: dict[str, Analysis] = {}

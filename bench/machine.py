"""What the run was measured on: CPU, memory, load, and the versions of what is measured."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def chromium_version() -> str:
    try:
        result = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    match = re.search(r"Chromium\s+([\d.]+)", result.stdout)
    return match[1] if match else (result.stdout.strip() or "unknown")


def code_version(repo: Path) -> str:
    """The commit measured, and whether the work tree had changes on top of it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def describe() -> dict[str, str]:
    return {
        "date (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "CPU": f"{_cpu_model()}, {os.cpu_count()} cores",
        "memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Django / daphne": f"{_package('django')} / {_package('daphne')}",
        "DuckDB / pyarrow": f"{_package('duckdb')} / {_package('pyarrow')}",
        "Chromium (headless)": chromium_version(),
        "Playwright (Python)": _package("playwright"),
    }

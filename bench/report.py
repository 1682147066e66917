"""The figures of a benchmark run and the Markdown report made of them (docs/PERFORMANCE.md)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MET = "met"
MISSED = "**missed**"
INFO = "—"


@dataclass
class Row:
    """One measured quantity of a figure, with its same-run baseline and its target."""

    metric: str
    value: str
    baseline: str = INFO
    ratio: str = INFO
    target: str = INFO
    met: bool | None = None  # None: informational, no target

    @property
    def verdict(self) -> str:
        if self.met is None:
            return INFO
        return MET if self.met else MISSED


@dataclass
class Figure:
    """One figure of issue 8: how it was measured, its rows, and what limits it."""

    key: str
    title: str
    method: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def met(self) -> bool | None:
        """False when any target of the figure is missed (or it could not be measured)."""
        if self.error is not None:
            return False
        verdicts = [row.met for row in self.rows if row.met is not None]
        if not verdicts:
            return None
        return all(verdicts)


@dataclass(frozen=True)
class Analysis:
    """Why a target is missed, found by profiling, and what to do next."""

    cause: str
    next_step: str


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def render(
    *,
    machine: Mapping[str, str],
    run: Mapping[str, str],
    figures: Sequence[Figure],
    analyses: Mapping[str, Analysis],
) -> str:
    """The whole report as Markdown."""
    out = [
        "# Vizorch performance",
        "",
        "Written by `make bench` (`python -m bench`, see bench/README.md); do not edit by hand,",
        "run it again. Every figure is compared with a baseline measured in the same run, on the",
        "same machine, a few seconds apart.",
        "",
        "## Machine and run",
        "",
        *table(["", ""], [[key, value] for key, value in {**machine, **run}.items()]),
        "",
        "## Summary",
        "",
    ]
    summary = []
    for figure in figures:
        if figure.error is not None:
            summary.append([figure.title, "not measured", INFO, INFO, INFO, MISSED])
            continue
        for row in figure.rows:
            if row.met is None and row.target == INFO:
                continue
            summary.append(
                [f"{figure.title}: {row.metric}", row.value, row.baseline, row.ratio, row.target,
                 row.verdict]
            )  # fmt: skip
    out += table(["figure", "value", "baseline", "ratio", "target", "result"], summary)
    out += ["", "## Figures", ""]
    for number, figure in enumerate(figures, start=1):
        out += [f"### {number}. {figure.title}", "", figure.method, ""]
        if figure.error is not None:
            out += [f"Not measured: {figure.error}", ""]
        if figure.rows:
            out += table(
                ["metric", "value", "baseline", "ratio", "target", "result"],
                [
                    [r.metric, r.value, r.baseline, r.ratio, r.target, r.verdict]
                    for r in figure.rows
                ],
            )
            out.append("")
        for note in figure.notes:
            out.append(f"- {note}")
        if figure.notes:
            out.append("")
    missed = [figure for figure in figures if figure.met is False]
    out += ["## Missed targets", ""]
    if not missed:
        out += ["None: every target was met in this run.", ""]
    for figure in missed:
        analysis = analyses.get(figure.key)
        out += [f"### {figure.title}", ""]
        if figure.error is not None:
            out += [f"Not measured: {figure.error}", ""]
            continue
        if analysis is None:
            out += [
                "Cause: not analysed yet. Next step: profile the server during this figure with",
                "py-spy (`py-spy record --pid <daphne pid>`) or pyinstrument and fix what is ours.",
                "",
            ]
            continue
        out += [f"**Cause.** {analysis.cause}", "", f"**Next step.** {analysis.next_step}", ""]
    return "\n".join(out).rstrip() + "\n"


def save(
    path: Path, *, machine: Mapping[str, str], run: Mapping[str, str], figures: Sequence[Figure]
) -> None:
    """Keep a run's measurements, so the report can be written again (new analysis text) without
    measuring again."""
    data = {"machine": dict(machine), "run": dict(run),
            "figures": [dataclasses.asdict(figure) for figure in figures]}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def load(path: Path) -> tuple[dict[str, str], dict[str, str], list[Figure]]:
    data: dict[str, Any] = json.loads(path.read_text())
    figures = [
        Figure(**{**raw, "rows": [Row(**row) for row in raw["rows"]]}) for raw in data["figures"]
    ]
    return data["machine"], data["run"], figures

"""The report writer's output format (no server, no measurement: runs in well under a second)."""

from __future__ import annotations

from pathlib import Path

from bench.report import Analysis, Figure, Row, load, render, save
from bench.stats import Summary, percentile

MACHINE = {"CPU": "Test CPU, 2 cores", "memory": "4.0 GiB", "Chromium (headless)": "1.2.3"}
RUN = {"mode": "full", "duration": "1.0 min"}


def _figures() -> list[Figure]:
    return [
        Figure(
            key="first_event",
            title="Time to first SSE event",
            method="How it was measured.",
            rows=[
                Row("p50", "42.0 ms", "10.0 ms", "4.20x", "<= 50 ms", True),
                Row("p99", "170 ms", "20.0 ms", "8.50x", "<= 150 ms", False),
                Row("median and spread", "42.0 ms (range 1 | 2)"),
            ],
            notes=["a note"],
        ),
        Figure(key="bundles", title="Bundles", method="Sizes.", error="the build is missing"),
    ]


def test_report_has_machine_summary_figures_and_missed_sections() -> None:
    text = render(
        machine=MACHINE,
        run=RUN,
        figures=_figures(),
        analyses={"first_event": Analysis(cause="The log write.", next_step="Batch it.")},
    )
    assert text.startswith("# Vizorch performance\n")
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == ["## Machine and run", "## Summary", "## Figures", "## Missed targets"]
    assert "| CPU | Test CPU, 2 cores |" in text
    assert "| Chromium (headless) | 1.2.3 |" in text
    assert "| figure | value | baseline | ratio | target | result |" in text
    assert "| Time to first SSE event: p50 | 42.0 ms | 10.0 ms | 4.20x | <= 50 ms | met |" in text
    assert (
        "| Time to first SSE event: p99 | 170 ms | 20.0 ms | 8.50x | <= 150 ms | **missed** |"
        in text
    )
    # Informational rows stay out of the summary but are in the figure's table, escaped.
    assert "Time to first SSE event: median" not in text
    assert "| median and spread | 42.0 ms (range 1 \\| 2) | — | — | — | — |" in text
    assert "### 1. Time to first SSE event" in text
    assert "- a note" in text
    assert "| Bundles | not measured | — | — | — | **missed** |" in text
    missed = text.split("## Missed targets", 1)[1]
    assert "### Time to first SSE event" in missed
    assert "**Cause.** The log write." in missed
    assert "**Next step.** Batch it." in missed
    assert "### Bundles" in missed and "Not measured: the build is missing" in missed


def test_report_says_when_every_target_is_met() -> None:
    figure = Figure(
        key="x", title="X", method="m", rows=[Row("p50", "1 ms", target="<= 2 ms", met=True)]
    )
    text = render(machine=MACHINE, run=RUN, figures=[figure], analyses={})
    assert text.rstrip().endswith("None: every target was met in this run.")


def test_summary_reports_median_tail_and_spread() -> None:
    values = [float(v) for v in range(1, 101)]
    summary = Summary.of(values)
    assert summary.n == 100
    assert summary.p50 == 50.5
    assert summary.low == 1.0 and summary.high == 100.0
    assert percentile(values, 99) == summary.p99 == 99.01
    assert summary.iqr == percentile(values, 75) - percentile(values, 25)


def test_a_saved_run_renders_the_same_report(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    save(path, machine=MACHINE, run=RUN, figures=_figures())
    machine, run, figures = load(path)
    analyses = {"first_event": Analysis(cause="c", next_step="n")}
    assert render(machine=machine, run=run, figures=figures, analyses=analyses) == render(
        machine=MACHINE, run=RUN, figures=_figures(), analyses=analyses
    )

"""Profiles behind bench/analysis.py, reproducible:

    uv run --frozen --all-extras python -m bench.profile chat [--runs 10]
        py-spy (from PyPI through uvx) on daphne during sequential chat runs: the top frames of
        our code by samples, idle threads left out.
    uv run --frozen --all-extras python -m bench.profile burst [--streams 200]
        the same during a burst of concurrent chat streams.
    uv run --frozen --all-extras python -m bench.profile line | bar
        Chromium's CDP sampling profiler on the sandbox frame while it renders the 100k-point
        line chart or the "sales by region" bar chart: top functions by self and total time.

Each starts its own bench server (var/bench) and stops it at the end."""

from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench import fig_chat, fig_sandbox
from bench.server import BenchServer, bench_server

OURS = ("chat/", "executors/", "vizorch_site/", "templates_app/")
IDLE = ("_worker (concurrent", "EpollSelector.select", "Condition.wait", "untilConcludes",
        "_wait_for_tstate_lock", "select (selectors")  # fmt: skip


def _py_spy(server: BenchServer, seconds: int, output: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["uvx", "--from", "py-spy", "py-spy", "record", "--pid", str(server.pid), "--rate", "100",
         "--format", "raw", "--output", str(output), "--threads", "--idle",
         "--duration", str(seconds)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def summarize_stacks(raw: Path, top: int = 20) -> None:
    """Print the busiest leaf frames and, for each sample, the innermost frame of our code."""
    leaves: collections.Counter[str] = collections.Counter()
    ours: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        if frames[-1].startswith(IDLE):
            continue
        total += int(count)
        leaves[frames[-1]] += int(count)
        mine = [frame for frame in frames if any(part in frame for part in OURS)]
        ours[mine[-1] if mine else "(not our code)"] += int(count)
    print(f"{total} busy samples (100 Hz)")
    print("-- busiest leaf frames")
    for leaf, samples in leaves.most_common(top):
        print(f"{samples:7d}  {leaf}")
    print("-- innermost frame of our code")
    for frame, samples in ours.most_common(top):
        print(f"{samples:7d}  {frame}")


def profile_server(kind: str, amount: int) -> None:
    with bench_server() as server, tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "stacks.txt"
        asyncio.run(fig_chat.sequential_runs(server, 1, warmup=1))
        seconds = 30 if kind == "chat" else 90
        spy = _py_spy(server, seconds, raw)
        if kind == "chat":
            runs = asyncio.run(fig_chat.sequential_runs(server, amount, warmup=0))
            print("request to done (ms):", [round(s * 1000) for s in runs.to_done])
        else:
            result = asyncio.run(fig_chat.concurrent_streams(server, amount))
            for row in fig_chat.concurrency_figure(result, amount, server).rows:
                print(f"{row.metric}: {row.value}")
        spy.wait(timeout=seconds + 60)
        summarize_stacks(raw)


def summarize_profile(profile: dict[str, Any], top: int = 25) -> None:
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}

    def name(node_id: int) -> str:
        frame = nodes[node_id]["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1]
        return f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber'] + 1}"

    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        own[name(sample)] += delta
        seen: set[str] = set()
        node: int | None = sample
        while node is not None:
            if name(node) not in seen:
                seen.add(name(node))
                total[name(node)] += delta
            node = parent.get(node)
    for title, counter in (("self time", own), ("total time", total)):
        print(f"-- {title} (ms)")
        for label, micros in counter.most_common(top):
            print(f"{micros / 1000:9.1f}  {label}")


def profile_sandbox(kind: str) -> None:
    from playwright.sync_api import sync_playwright

    with bench_server() as server:
        code, params, data = fig_sandbox.bar_chart(server, None)
        if kind == "bar":
            message = fig_sandbox._render(1, code, params, {"format": "json", "result": data})
        else:
            line_code, line_params = fig_sandbox.line_component()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=fig_sandbox.CHROMIUM, args=fig_sandbox.CHROMIUM_ARGS
            )
            try:
                context = browser.new_context(viewport={"width": 800, "height": 500})
                context.add_init_script(fig_sandbox.PAINT_PROBE)
                host = f"{server.url}/bench-host/"
                context.route(
                    host,
                    lambda route: route.fulfill(
                        status=200, content_type="text/html", body=fig_sandbox.HOST_PAGE
                    ),
                )
                page = context.new_page()
                page.goto(host)
                page.evaluate("() => window.__boot(null)")
                page.evaluate("window.__waitFor('ready', 30000)")
                frame = next(f for f in page.frames if "/sandbox/" in f.url)
                cdp = context.new_cdp_session(frame)
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                cdp.send("Profiler.start")
                if kind == "bar":
                    page.evaluate("(m) => window.__send(m)", message)
                else:
                    page.evaluate(
                        "(a) => window.__send({ channel: a.channel, type: 'render', renderId: 2,"
                        " code: a.code, params: a.params, theme: 'light',"
                        " data: { format: 'json', result: window.__line(a.points) } })",
                        {"code": line_code, "params": line_params,
                         "points": fig_sandbox.LINE_POINTS, "channel": fig_sandbox.CHANNEL},
                    )  # fmt: skip
                page.evaluate("window.__waitFor('painted', 30000)")
                profile = cdp.send("Profiler.stop")["profile"]
                events = {e["type"]: e for e in page.evaluate("window.__events")}
                print(
                    f"message to painted: {events['painted']['at'] - events['sent']['at']:.0f} ms"
                )
                summarize_profile(profile)
            finally:
                browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("what", choices=["chat", "burst", "line", "bar"])
    parser.add_argument("--runs", type=int, default=10, help="sequential runs (chat)")
    parser.add_argument("--streams", type=int, default=200, help="concurrent streams (burst)")
    args = parser.parse_args()
    if args.what in ("chat", "burst"):
        profile_server(args.what, args.runs if args.what == "chat" else args.streams)
    else:
        profile_sandbox(args.what)


if __name__ == "__main__":
    main()

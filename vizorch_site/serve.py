"""The web server as `make run` starts it: daphne listening with a deep accept queue, in one
process, or with Redis and VIZORCH_WEB_PROCESSES=N in N daphne processes, each accepting
connections on its own SO_REUSEPORT socket of the same port.

One daphne process answers on one core (one interpreter lock): a burst of 200 streams started at
once kept it busy for the whole burst while the other core was half idle. With Redis every
process shares the channel layer, the run queue and the per-user statement slots, so more
processes can serve the same streams; the embedded defaults' in-memory channel layer and
in-process run worker exist once per process, so they are served by one. One process stays the
default: on this 2-core machine two were not reliably faster for a burst of stream starts (the
client, PostgreSQL and the worker share the cores, and a process that has not served a request
yet pays its first-request costs inside the burst: docs/deployment.md).

    python -m vizorch_site.serve [--host H] [--port P] [--backlog N] [--processes N] APP

Imports nothing of Django: the processes it starts load the application themselves."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence

# Connections the kernel holds for daphne until it accepts them. Twisted's default, 50, drops a
# burst's connections beyond it (200 streams at once: 46 dropped, their clients retrying a second
# later).
LISTEN_BACKLOG = 1024
# A stopped server gives its processes this long to close their streams before killing them.
STOP_GRACE_S = 30.0


class ServeError(Exception):
    """A configuration the server cannot start with."""


def listen_endpoint(host: str, port: int, backlog: int = LISTEN_BACKLOG) -> str:
    """daphne's `-e` endpoint for a TCP port (Twisted's syntax: colons of an IPv6 host escaped)."""
    interface = host.strip("[]").replace(":", r"\:")
    return f"tcp:port={port}:interface={interface}:backlog={backlog}"


def web_processes(env: Mapping[str, str]) -> int:
    """How many daphne processes serve: VIZORCH_WEB_PROCESSES (above 1 needs Redis), else 1."""
    configured = env.get("VIZORCH_WEB_PROCESSES", "").strip()
    redis = bool(env.get("REDIS_URL", "").strip())
    if not configured:
        return 1
    try:
        count = int(configured)
    except ValueError:
        raise ServeError(
            f"VIZORCH_WEB_PROCESSES must be a whole number, not {configured!r}."
        ) from None
    if count < 1:
        raise ServeError("VIZORCH_WEB_PROCESSES must be at least 1.")
    if count > 1 and not redis:
        raise ServeError(
            "VIZORCH_WEB_PROCESSES above 1 needs REDIS_URL: without Redis the channel layer and "
            "the run worker live inside the one web process."
        )
    return count


def daphne_command(endpoint: str, app: str) -> list[str]:
    # daphne with the body of a POST left to the application (vizorch_site/web_process.py).
    return [sys.executable, "-m", "vizorch_site.web_process", "-e", endpoint, app]


def _listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """An IPv4 socket of its own for one process on the shared port (see `serve`)."""
    sock = socket.create_server((host, port), backlog=backlog, reuse_port=True)
    sock.set_inheritable(True)
    return sock


def _supervise(children: Sequence[subprocess.Popen[bytes]]) -> int:
    """Wait for the processes; a signal to stop, or one of them ending, stops them all (killed
    after STOP_GRACE_S). The exit status is the first failure among theirs, else 0."""
    running = {child.pid: child for child in children}
    stopping = False
    status = 0

    def kill(*_: object) -> None:
        for child in running.values():
            child.kill()

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for child in running.values():
            child.send_signal(signal.SIGTERM)
        signal.signal(signal.SIGALRM, kill)
        signal.alarm(int(STOP_GRACE_S))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while running:
        pid, wait_status = os.wait()
        child = running.pop(pid, None)
        if child is None:
            continue
        child.returncode = code = os.waitstatus_to_exitcode(wait_status)
        if not stopping:
            print(
                f"vizorch: web process {pid} ended ({code}); stopping the others",
                file=sys.stderr,
                flush=True,
            )
            status = code if code > 0 else 1
            stop()
        elif code not in (0, -signal.SIGTERM) and not status:
            status = code if code > 0 else 1
    return status


def serve(host: str, port: int, backlog: int, processes: int, app: str) -> int:
    if processes == 1:
        # The process becomes daphne: its pid, signals and exit status are daphne's own.
        command = daphne_command(listen_endpoint(host, port, backlog), app)
        os.execv(command[0], command)
    if ":" in host:
        # daphne adopts an inherited socket as IPv4 only (its `fd:` endpoint has no family).
        raise ServeError("Several web processes listen on an IPv4 address only; use HOST=0.0.0.0.")
    sockets = [_listening_socket(host, port, backlog) for _ in range(processes)]
    children = [
        subprocess.Popen(
            daphne_command(f"fd:fileno={sock.fileno()}", app), pass_fds=(sock.fileno(),)
        )
        for sock in sockets
    ]
    print(
        f"vizorch: {processes} web processes on http://{host}:{port}/ "
        f"(pids {', '.join(str(child.pid) for child in children)})",
        file=sys.stderr,
        flush=True,
    )
    try:
        return _supervise(children)
    finally:
        for sock in sockets:
            sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vizorch_site.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--backlog", type=int, default=LISTEN_BACKLOG)
    parser.add_argument(
        "--processes", type=int, default=None, help="default: VIZORCH_WEB_PROCESSES, see README"
    )
    parser.add_argument("app", nargs="?", default="vizorch_site.asgi:application")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.processes is not None:
        env["VIZORCH_WEB_PROCESSES"] = str(args.processes)
    try:
        processes = web_processes(env)
        return serve(args.host, args.port, args.backlog, processes, args.app)
    except (ServeError, OSError) as exc:
        print(f"vizorch: cannot start the web server: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

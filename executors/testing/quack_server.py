"""A DuckDB Quack server for development and tests: serves one DuckDB file read-only with a fixed
token (loopback only unless --allow-other-hostname), until SIGTERM/SIGINT or its stdin closes.

    python -m executors.testing.quack_server --database var/demo.duckdb --port 9494

The token is read from $QUACK_TOKEN (never from argv, where `ps` would show it). Prints one line
`READY quack:127.0.0.1:<port>` on stdout once it accepts connections."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType

import duckdb

from executors.engines.duckdb_remote import load_quack


def serve(
    database: str,
    host: str,
    port: int,
    token: str,
    *,
    threads: int,
    memory: str,
    allow_other_hostname: bool = False,
) -> None:
    con = duckdb.connect(
        database,
        read_only=True,
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": threads,
            "memory_limit": memory,
        },
    )
    load_quack(con)
    uri = f"quack:{host}:{port}"
    con.execute(
        "CALL quack_serve(?, token := ?, allow_other_hostname := ?)",
        [uri, token, allow_other_hostname],
    ).fetchall()
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def on_stdin_closed() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=on_stdin_closed, daemon=True).start()
    print(f"READY {uri}", flush=True)
    while not stop.wait(timeout=0.5):  # wakes for signals even if a wakeup were lost
        pass
    con.execute("CALL quack_stop(?)", [uri]).fetchall()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="DuckDB file to serve (read-only)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument(
        "--allow-other-hostname",
        action="store_true",
        help="bind a non-loopback --host (put a TLS proxy in front)",
    )
    parser.add_argument("--port", type=int, default=9494)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--memory-limit", default="512MB")
    args = parser.parse_args()
    token = os.environ.get("QUACK_TOKEN", "")
    if len(token) < 4:
        parser.error("set QUACK_TOKEN (at least 4 characters)")
    serve(
        args.database,
        args.host,
        args.port,
        token,
        threads=args.threads,
        memory=args.memory_limit,
        allow_other_hostname=args.allow_other_hostname,
    )


if __name__ == "__main__":
    main()

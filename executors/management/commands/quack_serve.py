"""Serve a DuckDB file over DuckDB's Quack protocol for Vizorch's `remote` engine: read-only, with
a token, locked down for its clients (no file or network access, configuration locked), until
SIGTERM or SIGINT. It never reads stdin, so it runs under systemd or `nohup ... </dev/null`."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import duckdb
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from executors.engines.duckdb_remote import load_quack

MIN_TOKEN_CHARS = 4


class Command(BaseCommand):
    help = (
        "Serve a DuckDB file read-only over the Quack protocol with a token (from $QUACK_TOKEN "
        "or --token-file) until SIGTERM/SIGINT. Prints `READY quack:<host>:<port>` once serving."
    )
    # A DuckDB server host needs no database or app checks of the web application.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            default=None,
            help="DuckDB file to serve read-only (default: VIZORCH_DUCKDB_PATH)",
        )
        parser.add_argument("--host", default="127.0.0.1", help="address to bind")
        parser.add_argument("--port", type=int, default=9494)
        parser.add_argument(
            "--allow-other-hostname",
            action="store_true",
            help="bind a non-loopback --host (put a TLS-terminating proxy in front)",
        )
        parser.add_argument(
            "--token-file",
            default=None,
            help="read the token from this file (e.g. a systemd credential) instead of "
            "$QUACK_TOKEN",
        )
        parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
        parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 16GB")

    def handle(self, *args: Any, **options: Any) -> None:
        database = Path(options["database"] or settings.VIZORCH_DUCKDB_PATH)
        if not database.is_file():
            raise CommandError(f"{database} is not a DuckDB file")
        token = _token(options["token_file"])
        uri = f"quack:{options['host']}:{options['port']}"
        stop = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        con = _serve(
            database,
            uri,
            token,
            threads=options["threads"],
            memory_limit=options["memory_limit"],
            allow_other_hostname=options["allow_other_hostname"],
        )
        try:
            self.stdout.write(f"READY {uri}")
            self.stdout.flush()
            # quack_serve serves on DuckDB's own threads; this one only waits for a signal (with
            # a timeout, so a signal that lands between two waits is still seen).
            while not stop.wait(timeout=0.5):
                pass
            con.execute("CALL quack_stop(?)", [uri]).fetchall()
        finally:
            con.close()
        self.stdout.write(f"stopped {uri}")


def _token(token_file: str | None) -> str:
    """The token from the file or the environment; never from argv, where `ps` shows it."""
    if token_file:
        try:
            token = Path(token_file).read_text().strip()
        except OSError as exc:
            raise CommandError(f"cannot read the token file {token_file}: {exc}") from exc
    else:
        token = os.environ.get("QUACK_TOKEN", "")
    if len(token) < MIN_TOKEN_CHARS:
        raise CommandError(
            f"set QUACK_TOKEN or --token-file to a token of at least {MIN_TOKEN_CHARS} characters"
        )
    return token


def _serve(
    database: Path,
    uri: str,
    token: str,
    *,
    threads: int | None,
    memory_limit: str | None,
    allow_other_hostname: bool,
) -> duckdb.DuckDBPyConnection:
    """Open the file read-only, start serving, then lock the session down: Quack clients get the
    session's full SQL surface, so the server must not rely on the client's guard."""
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
    }
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    try:
        con = duckdb.connect(str(database), read_only=True, config=config)
    except duckdb.Error as exc:
        raise CommandError(f"cannot open {database}: {exc}") from exc
    try:
        load_quack(con)
        con.execute(
            "CALL quack_serve(?, token := ?, allow_other_hostname := ?)",
            [uri, token, allow_other_hostname],
        ).fetchall()
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:
        con.close()
        raise CommandError(f"cannot serve {uri}: {exc}") from exc
    return con

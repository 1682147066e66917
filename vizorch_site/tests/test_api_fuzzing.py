"""The public API fuzzer (schemathesis) against the live OpenAPI schema of a real daphne server,
as an analyst and as a viewer (token auth): it must find no server error and no answer the
schema does not describe (every 4xx an ErrorOut, the streams text/event-stream). The server has
a database of its own, which the fuzzer may dirty."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vizorch_site.testing import BASE_DIR, LiveServer, running_server

CONFIG = Path(__file__).with_name("schemathesis.toml")
# Bounded so the whole run stays within a few minutes on a small shared machine.
MAX_EXAMPLES = 10
RUN_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # A failure limit the fuzzer cannot reach: it sends requests without and with broken
    # credentials, and its other checks must see the API, not the sign-in lockout.
    with running_server(
        tmp_path_factory.mktemp("fuzzed"), REDIS_URL="", VIZORCH_LOGIN_FAILURE_LIMIT="1000000"
    ) as server:
        yield server


def _fuzz(server: LiveServer, token: str, report_path: Path) -> dict[str, Any]:
    command = [
        *(sys.executable, "-m", "schemathesis.cli"),
        *("--config-file", str(CONFIG)),
        *("run", f"{server.url}/api/openapi.json"),
        *("--header", f"Authorization: Bearer {token}"),
        # Every operation, the multipart import too: its bodies reach Django unparsed by the
        # web server, so even one Twisted could not parse gets a typed error
        # (vizorch_site/web_process.py).
        *("--checks", "all"),
        # No stateful phase: the schema has no links between operations.
        *("--phases", "examples,coverage,fuzzing"),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--seed", "1"),
        *("--workers", "2"),
        *("--request-timeout", "120"),
        *("--report", "json", "--report-json-path", str(report_path)),
    ]
    result = subprocess.run(
        command, cwd=BASE_DIR, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    report: dict[str, Any] = json.loads(report_path.read_text())
    return report


@pytest.mark.parametrize("username", ["analyst", "viewer"])
def test_the_fuzzer_finds_no_server_error_and_no_undocumented_answer(
    fuzzed_server: LiveServer, username: str, tmp_path: Path
) -> None:
    token = fuzzed_server.api_token(username)
    report = _fuzz(fuzzed_server, token, tmp_path / "report.json")
    tested = report["operations"]["tested"]
    cases = report["test_cases"]["generated"]
    print(f"schemathesis as {username}: {tested} operations tested, {cases} test cases")
    assert tested == report["operations"]["total"] > 20

"""Statements inside the guard's limits that still explode in the engine (many UNION terms, deep
nesting, huge cross products, megabyte rows) end in a typed error on a real daphne server, which
keeps answering /api/health meanwhile and does not grow (issue 16, finding 1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from executors.engines.duckdb_pool import resident_bytes
from vizorch_site.testing import LiveServer, running_server

CROSS = "SELECT count(*) AS n FROM order_items a, order_items b, order_items c"
BOMBS = {
    # 200 terms is the set-operation limit; each term a three-way cross join.
    "union terms at the limit": " UNION ALL ".join(
        f"SELECT count(*) + {i} AS n FROM order_items a, order_items b, order_items c"
        for i in range(200)
    ),
    # 90 levels of brackets (the limit is 100) around a cross join.
    "nesting near the limit": "SELECT " + "(" * 90 + f"({CROSS})" + ")" * 90 + " AS n",
    "huge cross product, sorted": (
        "SELECT a.order_item_id, b.order_item_id, c.order_item_id "
        "FROM order_items a, order_items b, order_items c ORDER BY a.sales * b.sales * c.sales"
    ),
    "megabyte rows": "SELECT repeat('x', 1000000) AS s FROM range(1500)",
    "a list of 10 GB": "SELECT list(repeat('x', 1000)) FROM range(10000000)",
}
TYPED = {"query_timeout", "query_failed"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    var_dir: Path = tmp_path_factory.mktemp("bomb-server")
    with running_server(
        var_dir,
        VIZORCH_QUERY_TIMEOUT_S="4",
        VIZORCH_DUCKDB_WORKER_MEMORY="1GB",
        VIZORCH_DUCKDB_MEMORY_LIMIT="512MB",
    ) as live:
        yield live


class HealthWatch:
    """Polls /api/health until stopped; keeps every status."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        with httpx.Client(timeout=30.0) as client:
            while not self._stop.is_set():
                try:
                    self.statuses.append(client.get(f"{self.url}/api/health").status_code)
                except httpx.HTTPError:
                    self.statuses.append(0)
                self._stop.wait(0.2)

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


@pytest.mark.parametrize("name", list(BOMBS))
def test_bomb_ends_typed_while_the_server_keeps_serving(server: LiveServer, name: str) -> None:
    assert server.process is not None
    token = server.api_token("analyst")
    headers = {"Authorization": f"Bearer {token}"}
    idle = resident_bytes(server.process.pid)
    peak = idle
    with httpx.Client(base_url=server.url, headers=headers, timeout=120.0) as client:
        with HealthWatch(server.url) as health:
            answer: dict[str, object] = {}

            def send() -> None:
                response = client.post("/api/query", json={"sql": BOMBS[name]})
                answer["status"] = response.status_code
                answer["body"] = response.json()

            sender = threading.Thread(target=send)
            sender.start()
            while sender.is_alive():
                peak = max(peak, resident_bytes(server.process.pid))
                sender.join(timeout=0.1)
        body = answer["body"]
        assert isinstance(body, dict)
        assert answer["status"] in (400, 504), body
        assert body["code"] in TYPED, body
        assert health.statuses and set(health.statuses) == {200}, health.statuses
        assert peak - idle < 1024**3
        after = client.post("/api/query", json={"sql": "SELECT count(*) AS n FROM stores"})
        assert after.status_code == 200 and after.json()["row_count"] == 1
    assert server.process.poll() is None

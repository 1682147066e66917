"""Issue 16, finding 4, over HTTP against a real daphne server with Redis: two users' long cross
joins on the local engine must not starve a third user's short query, the health check or a
viewer's template refresh; a direct statement that cannot get a slot is told when to retry."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import httpx
import pytest

from vizorch_site.testing import LiveServer, running_server

# Runs until the statement timeout on the demo data: a three-way cross join with a filter that
# never holds.
CROSS_JOIN = (
    "SELECT count(*) FROM order_items a, order_items b, order_items c "
    "WHERE a.sales + b.sales + c.sales < 0"
)
TEMPLATE_SQL = "SELECT region, count(*) AS stores FROM stores GROUP BY region ORDER BY region"
TIMEOUT = httpx.Timeout(120.0, connect=10.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[LiveServer]:
    """Four statements per engine, two per user, counted in Redis; the cross joins outlast the
    test, which ends by stopping the server."""
    with running_server(
        tmp_path_factory.mktemp("fair"),
        REDIS_URL=redis_url,
        VIZORCH_ENGINE_CONCURRENCY="4",
        VIZORCH_DUCKDB_WORKERS="4",
        VIZORCH_QUERY_CONCURRENCY="2",
        VIZORCH_QUERY_TIMEOUT_S="120",
        VIZORCH_QUERY_MAX_WAIT_S="3",
    ) as live:
        live.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import Group, User; "
            "u = User.objects.create_user('third', password='x'); "
            "u.groups.add(Group.objects.get(name='Analyst'))",
        )
        yield live


@contextlib.contextmanager
def client(server: LiveServer, username: str) -> Iterator[httpx.Client]:
    token = server.api_token(username)
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    ) as http:
        yield http


def test_two_users_cross_joins_leave_room_for_others_and_the_health_check(
    server: LiveServer,
) -> None:
    with (
        client(server, "analyst") as analyst,
        client(server, "curator") as curator,
        client(server, "third") as third,
        client(server, "viewer") as viewer,
        ThreadPoolExecutor(4) as pool,
    ):
        created = analyst.post(
            "/api/templates",
            json={
                "title": "Stores by region",
                "prompt": "How many stores per region?",
                "generated_sql": TEMPLATE_SQL,
                "ui_code": "export default function Viz({ data }) { return null; }",
                "parameters": {"title": "Stores", "chart_type": "bar"},
                "data_source": "duckdb",
            },
        )
        assert created.status_code == 201, created.text
        template_id = created.json()["id"]
        shared = analyst.put(
            f"/api/templates/{template_id}/shares",
            json={"shares": [{"user": "viewer", "role": "viewer"}]},
        )
        assert shared.status_code == 200, shared.text

        users = {"analyst": analyst, "curator": curator}
        long: dict[Future[httpx.Response], str] = {
            pool.submit(users[name].post, "/api/query", json={"sql": CROSS_JOIN}): name
            for name in ("analyst", "analyst", "curator", "curator")
        }

        # Three cross joins run; the fourth finds no slot it may take (the last free one is kept
        # for users with nothing running) and is told when to retry.
        done, running = wait(long, timeout=60, return_when=FIRST_COMPLETED)
        assert len(done) == 1 and len(running) == 3
        (refused,) = done
        assert refused.result().status_code == 503, refused.result().text
        assert refused.result().json()["code"] == "engine_busy"
        assert int(refused.result().headers["Retry-After"]) >= 1

        def still_running() -> bool:
            return not any(future.done() for future in running)

        health = httpx.get(f"{server.url}/api/health", timeout=TIMEOUT)
        assert health.status_code == 200, health.text
        local = next(c for c in health.json()["components"] if c["name"] == "engine:local")
        assert local["ok"], local
        assert still_running()

        short = third.post("/api/query", json={"sql": "SELECT 42 AS answer"})
        assert short.status_code == 200, short.text
        assert still_running()

        refreshed = viewer.post(f"/api/templates/{template_id}/refresh")
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["row_count"] == 5
        assert still_running()

        # The user with two cross joins running waits for one of them, then gets 429.
        busiest = "curator" if long[refused] == "analyst" else "analyst"
        mine = users[busiest].post("/api/query", json={"sql": "SELECT 1"})
        assert mine.status_code == 429, mine.text
        assert mine.json()["code"] == "too_many_queries"
        assert int(mine.headers["Retry-After"]) >= 1
        assert still_running()
        server.stop()  # ends the cross joins with the server

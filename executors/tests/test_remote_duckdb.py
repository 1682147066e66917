"""The remote DuckDB engine against real Quack server processes: Arrow results, typed errors,
round-robin and failover across endpoints, unreachable endpoints, timeouts and cancel."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from executors.engines.base import QueryLimits
from executors.engines.duckdb_remote import RemoteDuckDBEngine
from executors.errors import EngineUnavailable, QueryCancelled, QueryFailed, QueryTimeout
from executors.testing.server_fixtures import QuackServer, free_port, start_quack_server

LIMITS = QueryLimits(max_rows=1000, timeout_s=60)
# Streams rows for a very long time: only a timeout or a cancel ends it.
ENDLESS = "SELECT range AS n FROM range(10000000000)"
# Computes for hours before its first row; Quack 1.5.5 cannot cancel it on the server.
RUNAWAY = "SELECT count(*) AS n FROM range(1000000000000)"
# Far beyond the timeouts below, far short of what the server would need: a caller still
# waiting then is waiting for the server, not for our timeout.
ANSWER_BOUND_S = 60


@pytest.fixture
def two_servers(
    quack_demo_database: Path, tmp_path: Path
) -> Iterator[tuple[QuackServer, QuackServer]]:
    """Two Quack servers of this test alone, so a test may kill them."""
    token = "two-servers-token"
    first = start_quack_server(quack_demo_database, token, tmp_path)
    try:
        second = start_quack_server(quack_demo_database, token, tmp_path)
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def test_remote_query_returns_the_servers_data_as_arrow(
    remote_engine: RemoteDuckDBEngine, quack_demo_database: Path
) -> None:
    sql = (
        "SELECT s.region, count(DISTINCT o.order_id) AS orders, sum(i.sales) AS sales "
        "FROM orders o JOIN stores s USING (store_id) JOIN order_items i USING (order_id) "
        "GROUP BY s.region ORDER BY s.region"
    )
    result = remote_engine.run(sql, limits=LIMITS, tag="remote-arrow")
    with duckdb.connect(str(quack_demo_database), read_only=True) as con:
        expected = con.execute(sql).to_arrow_table()
    assert isinstance(result.table, pa.Table)
    assert result.table.equals(expected)
    assert result.row_count == 5 and not result.truncated
    assert result.schema == expected.schema


def test_remote_row_limit_fetches_one_more_row_to_report_truncation(
    remote_engine: RemoteDuckDBEngine,
) -> None:
    result = remote_engine.run(
        "SELECT order_item_id FROM order_items ORDER BY order_item_id",
        limits=QueryLimits(max_rows=25, timeout_s=60),
        tag="remote-limit",
    )
    assert result.truncated
    assert result.row_count == 25
    assert result.table is not None
    assert result.table.column("order_item_id").to_pylist() == list(range(1, 26))


def test_remote_sql_error_is_a_query_failure_not_a_failover(
    two_servers: tuple[QuackServer, QuackServer],
) -> None:
    first, second = two_servers
    engine = RemoteDuckDBEngine("remote", [first.uri, second.uri], first.token)
    try:
        with pytest.raises(QueryFailed) as failed:
            engine.run("SELECT no_such_column FROM stores", limits=LIMITS, tag="remote-bad")
        assert "no_such_column" in failed.value.message
        assert "quack_query" not in failed.value.message
        health = engine.health()
        assert health.ok and health.detail.startswith("2/2")
    finally:
        engine.close()


def test_remote_failover_to_the_second_endpoint_when_the_first_is_killed(
    two_servers: tuple[QuackServer, QuackServer],
) -> None:
    first, second = two_servers
    engine = RemoteDuckDBEngine("remote", [first.uri, second.uri], first.token)
    try:
        sql = "SELECT count(*) AS n FROM stores"
        before = engine.run(sql, limits=LIMITS, tag="before").table
        assert before is not None and before.to_pylist() == [{"n": 50}]
        first.kill()
        # Round-robin hands every endpoint a turn; each statement must still be answered.
        for turn in range(4):
            result = engine.run(sql, limits=LIMITS, tag=f"after-{turn}")
            assert result.table is not None and result.table.to_pylist() == [{"n": 50}]
        health = engine.health()
        assert health.ok
        assert f"{first.uri} down" in health.detail
    finally:
        engine.close()


def test_remote_all_endpoints_down_is_engine_unavailable(
    two_servers: tuple[QuackServer, QuackServer],
) -> None:
    first, second = two_servers
    engine = RemoteDuckDBEngine(
        "remote", [first.uri, second.uri], first.token, connect_timeout_s=2.0
    )
    try:
        first.kill()
        second.kill()
        with pytest.raises(EngineUnavailable) as unavailable:
            engine.run("SELECT 1", limits=QueryLimits(timeout_s=10), tag="all-down")
        assert unavailable.value.kind == "unavailable"
        assert first.uri in unavailable.value.message and second.uri in unavailable.value.message
        assert not engine.health().ok
    finally:
        engine.close()


def test_remote_wrong_token_is_engine_unavailable_without_leaking_the_token(
    quack_server: QuackServer,
) -> None:
    engine = RemoteDuckDBEngine("remote", [quack_server.uri], "not-the-token")
    try:
        with pytest.raises(EngineUnavailable) as unavailable:
            engine.run("SELECT 1", limits=LIMITS, tag="bad-token")
        assert "Authentication failed" in unavailable.value.message
        assert "not-the-token" not in unavailable.value.message
    finally:
        engine.close()


def test_remote_endpoint_that_never_listened_is_skipped(quack_server: QuackServer) -> None:
    nobody = f"quack:127.0.0.1:{free_port()}"
    engine = RemoteDuckDBEngine("remote", [nobody, quack_server.uri], quack_server.token)
    try:
        for turn in range(2):
            result = engine.run("SELECT 42 AS answer", limits=LIMITS, tag=f"skip-{turn}")
            assert result.table is not None and result.table.to_pylist() == [{"answer": 42}]
    finally:
        engine.close()


def test_remote_statement_timeout_stops_the_query(remote_engine: RemoteDuckDBEngine) -> None:
    with pytest.raises(QueryTimeout):
        remote_engine.run(
            ENDLESS, limits=QueryLimits(max_rows=10**12, timeout_s=1), tag="remote-timeout"
        )


@pytest.fixture
def own_server(quack_demo_database: Path, tmp_path: Path) -> Iterator[QuackServer]:
    """A Quack server of this test alone: a runaway keeps it busy until it is stopped."""
    server = start_quack_server(quack_demo_database, "own-server-token", tmp_path)
    yield server
    server.process.send_signal(signal.SIGCONT)
    server.kill()


def raised_within(call: Callable[[], object], bound_s: float = ANSWER_BOUND_S) -> BaseException:
    """What `call` raised, on a thread of its own that must finish within `bound_s`."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=bound_s)
    assert not worker.is_alive(), "the caller is still waiting for the server"
    assert raised, "the call did not fail"
    return raised[0]


def test_remote_runaway_ends_at_the_timeout_though_the_server_cannot_cancel(
    own_server: QuackServer,
) -> None:
    engine = RemoteDuckDBEngine("remote-own", [own_server.uri], own_server.token)
    try:
        error = raised_within(
            lambda: engine.run(RUNAWAY, limits=QueryLimits(timeout_s=2), tag="runaway")
        )
        assert isinstance(error, QueryTimeout)
        # The server is still computing the abandoned statement, and answers the next one.
        answer = engine.run("SELECT 42 AS n", limits=LIMITS, tag="after-runaway")
        assert answer.table is not None and answer.table.column("n").to_pylist() == [42]
    finally:
        engine.close()


def test_remote_server_that_stops_answering_ends_at_the_timeout(own_server: QuackServer) -> None:
    engine = RemoteDuckDBEngine("remote-own", [own_server.uri], own_server.token)
    try:
        own_server.process.send_signal(signal.SIGSTOP)  # accepts TCP connections, answers nothing
        error = raised_within(
            lambda: engine.run("SELECT 1", limits=QueryLimits(timeout_s=2), tag="frozen")
        )
        assert isinstance(error, QueryTimeout)
    finally:
        own_server.process.send_signal(signal.SIGCONT)
        engine.close()


def test_remote_cancel_stops_a_running_query(remote_engine: RemoteDuckDBEngine) -> None:
    outcome: list[BaseException] = []
    started = threading.Event()

    def run() -> None:
        started.set()
        try:
            remote_engine.run(
                ENDLESS, limits=QueryLimits(max_rows=10**12, timeout_s=120), tag="remote-cancel"
            )
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    started.wait()
    while not remote_engine.cancel("remote-cancel"):
        worker.join(timeout=0.05)
        assert worker.is_alive(), "the query ended before it could be cancelled"
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], QueryCancelled)
    assert not remote_engine.cancel("remote-cancel")


def test_remote_catalog_is_read_from_the_server(remote_engine: RemoteDuckDBEngine) -> None:
    tables = {table.name: table for table in remote_engine.catalog()}
    assert {"stores", "customers", "products", "orders", "order_items"} <= set(tables)
    orders = tables["orders"]
    assert [column.name for column in orders.columns] == [
        "order_id",
        "order_date",
        "customer_id",
        "store_id",
        "channel",
        "status",
    ]
    assert {column.name: column.type for column in orders.columns}["order_date"] == "DATE"
    assert orders.primary_key == ["order_id"]
    assert {fk.ref_table for fk in orders.foreign_keys} == {"customers", "stores"}
    assert orders.description.startswith("One row per order")


def test_remote_endpoint_must_be_a_quack_uri() -> None:
    with pytest.raises(ValueError):
        RemoteDuckDBEngine("remote", ["http://127.0.0.1:9494"], "token")

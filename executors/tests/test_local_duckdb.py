"""The embedded DuckDB engine: locked down before use, bounded in time, cancellable by tag."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from executors.engines.base import QueryLimits
from executors.engines.duckdb_local import LocalDuckDBEngine
from executors.errors import EngineUnavailable, QueryCancelled, QueryFailed, QueryTimeout
from executors.tests.statements import StatementThread

RUNAWAY = (
    "SELECT count(*) FROM order_items a, order_items b, order_items c "
    "WHERE a.sales + b.sales + c.sales < 0"
)


@pytest.fixture
def engine(demo_db_path: Path, tmp_path: Path) -> Iterator[LocalDuckDBEngine]:
    local = LocalDuckDBEngine(
        "local-test", demo_db_path, memory_limit="512MB", threads=1, temp_directory=tmp_path
    )
    yield local
    local.close()


def test_connections_are_locked_down(engine: LocalDuckDBEngine) -> None:
    assert engine.setting("enable_external_access") == "false"
    assert engine.setting("lock_configuration") == "true"
    assert engine.setting("autoinstall_known_extensions") == "false"
    assert engine.setting("threads") == "1"
    assert engine.setting("python_enable_replacements") == "false"
    assert engine.setting("memory_limit").startswith("488")  # 512 MB, as DuckDB prints MiB


def test_locked_connection_refuses_to_change_settings_even_unguarded(
    engine: LocalDuckDBEngine,
) -> None:
    # Statements that bypass the guard still cannot loosen the lock-down.
    with pytest.raises(QueryFailed, match="configuration"):
        engine.run("SET memory_limit = '8GB'", limits=QueryLimits(), tag="t")
    with pytest.raises(QueryFailed, match="disabled"):
        engine.run("SELECT * FROM read_csv('/etc/passwd')", limits=QueryLimits(), tag="t")
    with pytest.raises(QueryFailed, match=r"read-only|read only"):
        engine.run("CREATE TABLE pwned AS SELECT 1", limits=QueryLimits(), tag="t")
    assert engine.setting("memory_limit").startswith("488")


def test_statement_timeout_interrupts_a_runaway_cross_join(engine: LocalDuckDBEngine) -> None:
    with pytest.raises(QueryTimeout) as timed_out:
        engine.run(RUNAWAY, limits=QueryLimits(timeout_s=0.5), tag="runaway")
    assert "0.5s" in timed_out.value.message
    # The pool is still usable afterwards.
    result = engine.run("SELECT 42 AS answer", limits=QueryLimits(), tag="after")
    assert result.table is not None and result.table.to_pylist() == [{"answer": 42}]


def test_cancel_by_tag_stops_a_running_query(engine: LocalDuckDBEngine) -> None:
    worker = StatementThread(engine, RUNAWAY, limits=QueryLimits(timeout_s=120), tag="to-cancel")
    worker.start()
    cancelled = worker.cancel_once_known("to-cancel", poll_s=0.05)
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert cancelled
    assert len(worker.raised) == 1 and isinstance(worker.raised[0], QueryCancelled)


def test_engine_only_fetches_one_row_past_the_limit(engine: LocalDuckDBEngine) -> None:
    # Unwrapped on purpose: the engine itself stops reading after max_rows + 1 rows.
    result = engine.run("SELECT * FROM order_items", limits=QueryLimits(max_rows=10), tag="t")
    assert result.row_count == 10 and result.truncated


def test_missing_database_file_is_an_unavailable_engine(tmp_path: Path) -> None:
    missing = LocalDuckDBEngine("missing", tmp_path / "nope.duckdb")
    with pytest.raises(EngineUnavailable, match="seed_demo"):
        missing.run("SELECT 1", limits=QueryLimits(), tag="t")
    health = missing.health()
    assert not health.ok and "does not exist" in health.detail

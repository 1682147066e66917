"""Hostile statements sent through the one entry point (`services.execute_query`) to a real engine:
each is refused with a clear message, and the engine shows that nothing ran (no file written, no
setting changed, no table touched, no result stored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from executors import services
from executors.engines.base import Engine, QueryLimits
from executors.errors import SqlRefused
from executors.models import QueryResult
from executors.tests.hostile import HOSTILE

# Settings compared before and after on DuckDB engines.
WATCHED_SETTINGS = (
    "SELECT name, value FROM duckdb_settings() "
    "WHERE name IN ('memory_limit', 'threads', 'enable_external_access', 'lock_configuration', "
    "'max_temp_directory_size', 'autoload_known_extensions', 'allowed_directories') ORDER BY name"
)


def _tables(engine: Engine) -> dict[str, int]:
    """Every table with its row count, straight from the engine."""
    names = [table.name for table in engine.catalog()]
    counts = " UNION ALL ".join(
        f"SELECT '{name}' AS t, count(*) AS n FROM {name}" for name in names
    )
    result = engine.run(counts, limits=QueryLimits(), tag="count-probe")
    assert result.table is not None
    return {row["t"]: row["n"] for row in result.table.to_pylist()}


def _settings(engine: Engine) -> list[Any]:
    if engine.dialect != "duckdb":
        return []
    # Straight to the engine: the guard (rightly) refuses duckdb_settings().
    result = engine.run(WATCHED_SETTINGS, limits=QueryLimits(), tag="settings-probe")
    assert result.table is not None
    return result.table.to_pylist()


@pytest.mark.django_db
def test_refused_statement_runs_nothing(engine: Engine, tmp_path: Path) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    (watched / "in.csv").write_text("a,b\n1,2\n")
    tables_before = _tables(engine)
    settings_before = _settings(engine)
    results_before = QueryResult.objects.count()

    messages = []
    for sql, construct in HOSTILE:
        with pytest.raises(SqlRefused) as refused:
            services.execute_query(sql.format(tmp=watched), engine_name=engine.name)
        assert construct.lower() in refused.value.message.lower(), sql
        messages.append(refused.value.message)

    assert sorted(p.name for p in watched.iterdir()) == ["in.csv"]
    assert _tables(engine) == tables_before
    assert _settings(engine) == settings_before
    assert QueryResult.objects.count() == results_before
    assert all(
        message.endswith((".", "queries", "instead", "tables", "SQL.")) for message in messages
    )

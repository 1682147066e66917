"""Shared fixtures for the offline analyst tests: a small demo database built by the executors'
own generator, and the catalog read from it the way the local engine reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from chat.agent.question_parser import Schema
from executors.demo_data import ensure_demo_database
from executors.engines.duckdb_local import read_catalog

DEMO_SCALE = 0.02


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("offline") / "demo.duckdb"
    ensure_demo_database(path, DEMO_SCALE)
    return path


@pytest.fixture(scope="session")
def demo_con(demo_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(demo_path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def demo_catalog(demo_con: duckdb.DuckDBPyConnection) -> list[Any]:
    return list(read_catalog(demo_con.cursor()))


@pytest.fixture(scope="session")
def schema(demo_catalog: list[Any]) -> Schema:
    return Schema(demo_catalog)

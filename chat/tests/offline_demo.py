"""Shared fixtures for the offline analyst tests: a small demo database built by the executors'
own generator, and its semantic catalog as the chat worker hands it to the analyst (profiled,
with the demo's curated layer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from analyst.schema import Schema
from chat.management.commands.eval_agent import load_catalog
from executors.catalog.model import SemanticCatalog
from executors.demo_data import ensure_demo_database

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
def demo_catalog(demo_path: Path) -> SemanticCatalog:
    return load_catalog(demo_path)


@pytest.fixture(scope="session")
def schema(demo_catalog: SemanticCatalog) -> Schema:
    return Schema.from_catalog(demo_catalog)

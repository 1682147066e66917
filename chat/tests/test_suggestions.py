"""Suggested questions come from the selected engine's catalog and are always answered: on the
demo, TPC-H and vega data, every suggestion goes through the offline model as a run would and
its SQL returns rows; `GET /api/suggestions` serves them for an engine the user may use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.contrib.auth.models import Group
from django.test import Client

from analyst.core import Analyst
from chat import selectors
from chat.management.commands.eval_agent import load_catalog, offline_answerer
from core.roles import ANALYST, VIEWER
from evals.datasets import DATASETS, ensure_dataset

pytest_plugins = ("chat.tests.offline_demo",)

SCALES = {"demo": 0.02, "tpch": 0.01, "vega": 1.0}


@pytest.fixture(scope="module", params=sorted(SCALES))
def dataset(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, duckdb.DuckDBPyConnection]]:
    name = request.param
    path = ensure_dataset(name, tmp_path_factory.mktemp(name) / f"{name}.duckdb", SCALES[name])
    con = duckdb.connect(str(path), read_only=True)
    yield name, path, con
    con.close()


def test_every_suggestion_is_answered_with_rows(
    dataset: tuple[str, Path, duckdb.DuckDBPyConnection],
) -> None:
    name, path, con = dataset
    catalog = load_catalog(path, curated=DATASETS[name].curated)
    questions = Analyst(catalog, lookup=lambda sql: con.execute(sql).fetchall()).suggestions(6)
    assert len(questions) == 6
    assert len(set(questions)) == 6
    answer = offline_answerer(catalog, con)
    for question in questions:
        got = answer(question, [])
        assert got.sql is not None and not got.asked, (question, got.message)
        assert con.sql(got.sql).fetchall(), question
        assert got.chart_type in {"bar", "line", "area", "pie", "kpi", "table", "scatter"}


def test_suggestions_name_the_catalog_of_their_data(
    dataset: tuple[str, Path, duckdb.DuckDBPyConnection],
) -> None:
    name, path, _ = dataset
    catalog = load_catalog(path, curated=DATASETS[name].curated)
    words = {
        word
        for table in catalog.tables
        for text in [table.label, *(c.label for c in table.columns)]
        for word in text.lower().split()
    } | {word for m in catalog.metrics for word in m.name.lower().split()}
    for question in Analyst(catalog).suggestions(6):
        named = set(question.lower().split()) & words
        assert named, f"{question!r} names nothing of the {name} catalog"


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
def demo_settings(settings: Any, demo_path: Path, tmp_path: Path) -> Any:
    settings.VIZORCH_DUCKDB_PATH = demo_path
    settings.VIZORCH_RESULTS_DIR = tmp_path / "results"
    settings.VIZORCH_REMOTE_DUCKDB = []
    settings.VIZORCH_SPARK_URL = None
    settings.VIZORCH_DEFAULT_ENGINE = "local"
    selectors.forget_cached()
    return settings


def _client(django_user_model: Any, username: str, role: str) -> Client:
    user = django_user_model.objects.create_user(username=username, password="pw-for-tests-1")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_api_serves_answered_suggestions_of_the_default_engine(
    demo_settings: Any, django_user_model: Any, demo_con: duckdb.DuckDBPyConnection
) -> None:
    client = _client(django_user_model, "ana", ANALYST)
    response = client.get("/api/suggestions")
    assert response.status_code == 200
    body = response.json()
    assert body["engine"] == "local"
    assert len(body["questions"]) == selectors.DEFAULT_SUGGESTIONS
    assert (
        client.get("/api/suggestions?engine=local&limit=6").json()["questions"][:4]
        == (body["questions"])
    )


@pytest.mark.django_db
def test_suggestions_of_an_engine_closed_to_the_user_are_a_typed_404(
    demo_settings: Any, django_user_model: Any
) -> None:
    demo_settings.VIZORCH_ENGINE_ROLES = {"local": ["Analyst"]}
    viewer = _client(django_user_model, "vic", VIEWER)
    response = viewer.get("/api/suggestions?engine=local")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_engine"
    assert viewer.get("/api/suggestions?engine=nope").json()["code"] == "unknown_engine"

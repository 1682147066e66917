"""The guard's allow-list of DuckDB functions and system views, checked against the DuckDB the
project pins: every function DuckDB has is either allowed or withheld on purpose, every withheld
function and every system view that shows configuration, files or databases is refused, and
ordinary analytical SQL still runs."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from executors import services, sql_functions
from executors.errors import SqlRefused
from executors.guard import guard

WITHHELD_NAMESPACES = ("__internal", "pg_", "has_", "duckdb_", "pragma_")


def _catalog() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"autoload_known_extensions": False})


def _functions(types: tuple[str, ...]) -> set[str]:
    with _catalog() as con:
        rows = con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            f"WHERE function_type IN ({', '.join('?' * len(types))})",
            list(types),
        ).fetchall()
    return {row[0] for row in rows}


def test_the_lists_are_of_the_pinned_duckdb() -> None:
    assert duckdb.__version__ == sql_functions.DUCKDB_VERSION


def test_every_allowed_function_exists_in_duckdb() -> None:
    assert _functions(("scalar", "aggregate", "macro")) >= sql_functions.DUCKDB_FUNCTIONS


def test_every_duckdb_function_is_allowed_or_withheld_on_purpose() -> None:
    # A DuckDB upgrade that adds functions fails here until each is classified.
    named = {n for n in _functions(("scalar", "aggregate", "macro")) if n.isidentifier()}
    undecided = named - sql_functions.DUCKDB_FUNCTIONS - sql_functions.WITHHELD
    assert {n for n in undecided if not n.startswith(WITHHELD_NAMESPACES)} == set()


def test_system_views_are_the_engines_own() -> None:
    with _catalog() as con:
        views = {
            row[0]
            for row in con.execute(
                "SELECT view_name FROM duckdb_views() "
                "WHERE internal AND schema_name IN ('main', 'pg_catalog')"
            ).fetchall()
        }
    assert views == sql_functions.SYSTEM_VIEWS


@pytest.mark.parametrize("name", sorted(sql_functions.WITHHELD))
def test_every_withheld_function_is_refused_whatever_its_arguments(name: str) -> None:
    for args in ("", "1", "'x'", "'x', true"):
        with pytest.raises(SqlRefused):  # by name, or as a call sqlglot cannot parse
            guard(f"SELECT {name}({args})")


def test_every_system_view_but_the_table_descriptions_is_refused() -> None:
    with _catalog() as con:
        views = con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE internal"
        ).fetchall()
    passed = []
    for schema, view in views:
        try:
            guard(f"SELECT * FROM {schema}.{view}")
            passed.append(f"{schema}.{view}")
        except SqlRefused as refused:
            assert "system view" in refused.message
    assert set(passed) == sql_functions.ALLOWED_SYSTEM_VIEWS
    assert all(view.startswith("information_schema.") for view in passed)


def test_unknown_function_is_refused_and_can_be_allowed_per_engine(
    executor_settings: Any,
) -> None:
    with pytest.raises(SqlRefused, match=r"my_macro\(\) is not allowed"):
        services.prepare("SELECT my_macro(order_id) FROM orders")
    executor_settings.VIZORCH_GUARD_ALLOWED_FUNCTIONS = {"local": ["my_macro"]}
    assert services.prepare("SELECT my_macro(order_id) FROM orders").sql


@pytest.mark.django_db
def test_analytical_functions_still_run_on_the_engine(executor_settings: Any) -> None:
    stored = services.execute_query(
        "SELECT region, count(*) AS n, round(avg(store_id), 1) AS avg_id, "
        "string_agg(DISTINCT country, ', ' ORDER BY country) AS countries, "
        "date_trunc('month', DATE '2024-02-10') AS month, "
        "regexp_matches(region, 'a') AS has_a, "
        "approx_count_distinct(city) AS cities, list(store_id)[1] AS first_id, "
        "CASE WHEN count(*) > 5 THEN 'many' ELSE 'few' END AS size, "
        "row_number() OVER (ORDER BY region) AS rank "
        "FROM stores GROUP BY region ORDER BY region"
    )
    assert stored.row_count == 5
    tables = services.execute_query(
        "SELECT table_name FROM information_schema.tables ORDER BY table_name"
    )
    assert [row[0] for row in tables.preview] == [
        "customers",
        "order_items",
        "orders",
        "products",
        "stores",
    ]

"""The guard's statement limits: size, set-operation terms, nesting depth and syntax elements are
bounded before the recursive parser runs, so a huge or deeply nested statement is a typed
refusal (never a RecursionError, never an engine parsing it for minutes), configurable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from executors import services
from executors.errors import SqlRefused
from executors.guard import GuardPolicy, StatementLimits, guard


def _refusal(sql: str, policy: GuardPolicy | None = None) -> str:
    with pytest.raises(SqlRefused) as refused:
        guard(sql, policy=policy)
    assert refused.value.code == "sql_refused"
    return refused.value.message


def test_the_hundred_thousand_term_union_is_refused_by_its_size() -> None:
    # The statement that grew the server to 23.7 GB (issue 16, finding 1).
    message = _refusal(" UNION ALL ".join(["SELECT 1"] * 100_000))
    assert "too long" in message and "100,000" in message


def test_too_many_union_terms_are_refused_naming_the_limit() -> None:
    message = _refusal(" UNION ALL ".join(["SELECT 1"] * 201))
    assert "201 terms" in message and "limit is 200" in message
    assert guard(" UNION ALL ".join([f"SELECT {i}" for i in range(200)])).sql


@pytest.mark.parametrize("depth", [101, 1_000, 4_000])
def test_deeply_nested_parentheses_are_refused_not_a_recursion_error(depth: int) -> None:
    message = _refusal("SELECT " + "(" * depth + "1" + ")" * depth)
    assert "nested too deeply" in message and "limit is 100" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "NOT " * 20_000 + "true",
        "SELECT 1" + "::INT" * 10_000,
        "SELECT " + "CASE WHEN true THEN " * 3_000 + "1" + " END" * 3_000,
        "SELECT " + "- " * 40_000 + "1",
        "SELECT " + "[" * 30_000 + "1" + "]" * 30_000,
    ],
    ids=["not-chain", "cast-chain", "case-nest", "minus-chain", "brackets"],
)
def test_nesting_without_parentheses_is_refused_too(sql: str) -> None:
    message = _refusal(sql)
    assert "nested too deeply" in message or "too complex" in message


def test_statements_at_the_depth_limit_still_run() -> None:
    assert guard("SELECT " + "(" * 90 + "1" + ")" * 90).sql
    nested = "SELECT 1 AS x"
    for level in range(20):
        nested = f"SELECT x FROM ({nested}) AS t{level}"
    assert guard(nested).sql


def test_a_long_chain_of_one_operator_counts_as_one_level() -> None:
    # An OR list of 500 conditions is ordinary generated SQL, not deep nesting.
    sql = "SELECT * FROM orders WHERE " + " OR ".join(f"order_id = {i}" for i in range(500))
    assert guard(sql).sql


def test_too_many_syntax_elements_are_refused() -> None:
    message = _refusal("SELECT " + ", ".join(["1"] * 20_000))
    assert "too complex" in message and "10,000" in message


@pytest.mark.parametrize(
    "sql",
    ["SELECT '\ud800' AS broken", 'SELECT 1 AS "\udfff"', "SELECT 1 -- \ud83d"],
    ids=["in-literal", "in-identifier", "in-comment"],
)
def test_a_lone_utf16_surrogate_is_a_typed_refusal(sql: str) -> None:
    assert "lone UTF-16 surrogate" in _refusal(sql)


def test_limits_come_from_the_policy() -> None:
    tight = GuardPolicy.build(limits=StatementLimits(max_bytes=40, max_depth=3, max_set_terms=2))
    assert "40" in _refusal("SELECT 'a rather long literal text' AS long_text", tight)
    assert "limit is 3" in _refusal("SELECT ((((1))))", tight)
    assert "limit is 2" in _refusal("SELECT 1 UNION SELECT 2 UNION SELECT 3", tight)


def test_limits_are_read_from_settings(executor_settings: Any) -> None:
    executor_settings.VIZORCH_SQL_MAX_BYTES = 30
    executor_settings.VIZORCH_SQL_MAX_SET_TERMS = 3
    with pytest.raises(SqlRefused, match="limit is 30"):
        services.prepare("SELECT count(*) FROM order_items WHERE sales > 10")
    executor_settings.VIZORCH_SQL_MAX_BYTES = 10_000
    with pytest.raises(SqlRefused, match="limit is 3"):
        services.prepare(" UNION ALL ".join(["SELECT 1"] * 4))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "(" * 5_000 + "1" + ")" * 5_000,
        " UNION ALL ".join(["SELECT 1"] * 5_000),
    ],
    ids=["nested", "union"],
)
def test_the_query_api_answers_a_typed_400(executor_settings: Any, analyst: Any, sql: str) -> None:
    client = Client()
    client.force_login(analyst)
    response = client.post("/api/query", data={"sql": sql}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "sql_refused"


@pytest.mark.django_db
def test_a_lone_surrogate_in_the_body_is_a_typed_422(executor_settings: Any, analyst: Any) -> None:
    client = Client()
    client.force_login(analyst)
    response = client.post(
        "/api/query", data={"sql": "SELECT '\ud800'"}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_request"

"""The offline analyst end to end over HTTP on the embedded defaults: a question and two follow-up
refinements each stream a new, correct SQL statement, its data and a component; a destructive
request is declined and runs nothing; a question that reads two ways is asked back, and the
picked reading is answered; a value look-up never shows as the run's SQL."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chat.tests.sse import ask, code_of, names
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.timeout(240)

GOLD_BY_REGION = (
    "SELECT s.region, SUM(oi.sales) FROM order_items oi JOIN orders o ON oi.order_id = o.order_id "
    "JOIN stores s ON o.store_id = s.store_id {where} GROUP BY 1"
)


@pytest.fixture(scope="module")
def analyst(live_server: LiveServer) -> Iterator[httpx.Client]:
    from chat.tests.sse import client_for

    with client_for(live_server, "analyst") as client:
        yield client


def rows_at(client: httpx.Client, url: str) -> list[list[Any]]:
    response = client.get(url, params={"format": "json"})
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


def gold(client: httpx.Client, sql: str) -> list[list[Any]]:
    response = client.post("/api/query", json={"sql": sql})
    assert response.status_code == 200, response.text
    return rows_at(client, response.json()["url"])


def same_rows(a: list[list[Any]], b: list[list[Any]]) -> bool:
    def key(row: list[Any]) -> str:
        return repr([v for v in row if not isinstance(v, float)])

    if len(a) != len(b):
        return False
    for x, y in zip(sorted(a, key=key), sorted(b, key=key), strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) or isinstance(v, float):
                if not math.isclose(float(u), float(v), rel_tol=1e-6):
                    return False
            elif u != v:
                return False
    return True


def answer(events: list[Any]) -> tuple[str, str, dict[str, Any], str]:
    assert "error" not in names(events), [e.data for e in events if e.event == "error"]
    (sql,) = [e.data["sql"] for e in events if e.event == "sql"]
    (url,) = [e.data["url"] for e in events if e.event == "data"]
    (params,) = [e.data for e in events if e.event == "params"]
    code = code_of(events)
    assert "export default function Viz(" in code and 'from "recharts"' in code
    assert events[-1].data == {"type": "complete", "code_complete": True, "data_ready": True}
    return sql, url, params, code


def test_a_question_and_two_refinements_each_answer_correctly(analyst: httpx.Client) -> None:
    first = ask(analyst, "Show total sales by region")
    sql, url, params, _ = answer(first)
    assert params["values"]["chart_type"] == "bar"
    assert same_rows(rows_at(analyst, url), gold(analyst, GOLD_BY_REGION.format(where="")))
    conversation = first[0].data["conversation_id"]

    second = ask(analyst, "as a line chart", conversation_id=conversation)
    sql2, url2, params2, code2 = answer(second)
    assert sql2 == sql
    assert params2["values"]["chart_type"] == "line"
    assert '"x": "region"' in code2
    assert same_rows(rows_at(analyst, url2), rows_at(analyst, url))

    third = ask(analyst, "only 2023", conversation_id=conversation)
    sql3, url3, params3, _ = answer(third)
    assert "year(orders.order_date) = 2023" in sql3
    assert params3["values"]["chart_type"] == "line"
    assert params3["values"]["title"] == "Sales by Region in 2023"
    want = gold(analyst, GOLD_BY_REGION.format(where="WHERE year(o.order_date) = 2023"))
    assert same_rows(rows_at(analyst, url3), want)


def test_a_destructive_request_is_declined_and_runs_nothing(analyst: httpx.Client) -> None:
    events = ask(analyst, "delete all orders")
    assert "sql" not in names(events) and "data" not in names(events)
    (error,) = [e.data for e in events if e.event == "error"]
    assert error["stage"] == "code_generation" and error["code"] == "declined"
    assert error["message"].startswith("I can't answer that: Vizorch only reads data")
    count = gold(analyst, "SELECT COUNT(*) FROM orders")
    assert count[0][0] > 0


def test_a_filter_value_is_found_without_showing_a_probe_query(analyst: httpx.Client) -> None:
    events = ask(analyst, "Revenue by store in Paris")
    assert "error" not in names(events), [e.data for e in events if e.event == "error"]
    statements = [e.data["sql"] for e in events if e.event == "sql"]
    assert len(statements) == 1 and "stores.city = 'Paris'" in statements[0]
    assert "UNION ALL" not in statements[0]
    (url,) = [e.data["url"] for e in events if e.event == "data"]
    stores = [row[0] for row in rows_at(analyst, url)]
    assert stores and all(name.startswith("Paris") for name in stores)
    assert events[-1].data["data_ready"] is True


def test_a_question_that_reads_two_ways_is_asked_back_then_answered(
    analyst: httpx.Client,
) -> None:
    events = ask(analyst, "Show sales by name")
    assert "sql" not in names(events) and "data" not in names(events)
    assert "error" not in names(events)
    (asked,) = [e.data for e in events if e.event == "clarify"]
    assert asked["question"] and len(asked["options"]) >= 2
    assert events[-1].data == {"type": "complete", "code_complete": False, "data_ready": False}
    conversation = events[0].data["conversation_id"]
    picked = ask(analyst, asked["options"][0], conversation_id=conversation)
    answer(picked)

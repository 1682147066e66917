"""Issue 13, finding 7: a result says what its columns are. The `data` event, `GET
/api/data/{id}/columns` and `POST /api/query` carry each column's type and the format its values
read in: a rate traced to a percent column of the catalog is a percent, money is currency with its
code, a month bucket is a date of month grain; a column the SQL computes from nothing the catalog
knows reads by its type. Over HTTP against daphne on the embedded defaults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chat.tests.sse import ask, client_for
from vizorch_site.testing import LiveServer

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def analyst(live_server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(live_server, "analyst") as client:
        yield client


def data_event(client: httpx.Client, prompt: str) -> dict[str, Any]:
    events = [e for e in ask(client, prompt) if e.event == "data"]
    assert len(events) == 1, events
    return events[0].data


def by_name(columns: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in columns}


def test_average_of_a_rate_is_a_percent_and_its_label_text(analyst: httpx.Client) -> None:
    data = data_event(analyst, "Show average discount by region")
    columns = data["columns"]
    assert [c["type"] for c in columns] == ["text", "number"], columns
    label, value = columns
    assert label["format"] == "text"
    assert value["format"] == "percent", value
    # The result API says the same as the event.
    served = analyst.get(f"{data['url']}/columns")
    assert served.status_code == 200, served.text
    assert served.json()["columns"] == columns


def test_money_by_month_is_currency_by_a_month_grain_date(analyst: httpx.Client) -> None:
    columns = data_event(analyst, "Show total sales by month")["columns"]
    time, money = columns
    assert time["type"] == "date" and time["format"] == "date" and time["grain"] == "month"
    assert money["format"] == "currency" and money["currency"] == "USD", money
    assert money["type"] in ("number", "decimal")


def test_a_computed_column_reads_by_its_type(analyst: httpx.Client) -> None:
    # Sales plus one is no catalog measure any more; a count is a whole number.
    response = analyst.post(
        "/api/query",
        json={
            "sql": "SELECT COUNT(*) AS n, SUM(sales) + 1 AS shifted, MIN(order_id) AS first_id "
            "FROM order_items"
        },
    )
    assert response.status_code == 200, response.text
    columns = by_name(response.json()["columns"])
    assert columns["n"]["type"] == "integer" and columns["n"]["format"] == "integer"
    assert columns["shifted"]["format"] == "number"
    assert columns["shifted"]["arrow_type"] in ("double", "decimal128(38, 3)"), columns["shifted"]
    # An identifier is a name, not a quantity: no thousands separators.
    assert columns["first_id"]["format"] == "text"


def test_another_users_result_columns_are_not_found(
    live_server: LiveServer, analyst: httpx.Client
) -> None:
    url = data_event(analyst, "Show total sales by region")["url"]
    with client_for(live_server, "viewer") as viewer:
        response = viewer.get(f"{url}/columns")
    assert response.status_code == 404
    assert response.json()["code"]

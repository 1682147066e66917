"""The offline analyst on the demo catalog: measures, groupings, time, filters, rankings and
follow-ups are read from the catalog's names, synonyms, metrics and values, in plain and awkward
wording, and the SQL it writes returns what hand-written SQL returns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import duckdb
import pytest

from analyst.core import Analyst, Answer
from analyst.intent import Clarify, Decline
from executors.catalog.model import SemanticCatalog

# The demo database and catalog fixtures.
pytest_plugins = ("chat.tests.offline_demo",)

ORDERS = "FROM order_items oi JOIN orders o ON oi.order_id = o.order_id"


@pytest.fixture(scope="module")
def analyst(demo_catalog: SemanticCatalog, demo_con: duckdb.DuckDBPyConnection) -> Analyst:
    return Analyst(demo_catalog, lookup=lambda sql: demo_con.execute(sql).fetchall())


def answer(analyst: Analyst, question: str, earlier: Sequence[str] = ()) -> Answer:
    plan = analyst.plan(question, earlier)
    assert isinstance(plan, Answer), plan
    return plan


def rows(con: duckdb.DuckDBPyConnection, sql: str, ordered: bool = False) -> list[tuple[Any, ...]]:
    out = []
    for row in con.sql(sql).fetchall():
        out.append(tuple(_plain(v) for v in row))
    return out if ordered else sorted(out, key=repr)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "year") and hasattr(value, "day"):
        return (value.year, value.month, value.day)
    return (
        float(value) if hasattr(value, "as_integer_ratio") and not isinstance(value, int) else value
    )


def assert_same(con: duckdb.DuckDBPyConnection, got: str, gold: str, ordered: bool = False) -> None:
    a, b = rows(con, got, ordered), rows(con, gold, ordered)
    assert len(a) == len(b), (got, len(a), len(b))
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) or isinstance(v, float):
                assert math.isclose(float(u), float(v), rel_tol=1e-6), (got, x, y)
            else:
                assert u == v, (got, x, y)


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        ("total revenue", "SELECT SUM(sales) FROM order_items"),
        ("profit margin", "SELECT SUM(profit) / SUM(sales) FROM order_items"),
        (
            "average order value",
            f"SELECT SUM(oi.sales) / COUNT(DISTINCT o.order_id) {ORDERS}",
        ),
        ("units sold", "SELECT SUM(quantity) FROM order_items"),
        ("number of orders", "SELECT COUNT(*) FROM orders"),
        ("average discount", "SELECT AVG(discount) FROM order_items"),
        ("max discount", "SELECT MAX(discount) FROM order_items"),
        ("how many stores", "SELECT COUNT(*) FROM stores"),
        (
            "return rate",
            "SELECT COUNT(*) FILTER (WHERE status = 'Returned') / COUNT(*) FROM orders",
        ),
    ],
)
def test_measures_come_from_columns_and_curated_metrics(
    question: str, gold: str, analyst: Analyst, demo_con: duckdb.DuckDBPyConnection
) -> None:
    assert_same(demo_con, answer(analyst, question).sql, gold)


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        (
            "sales by region",
            f"SELECT s.region, SUM(oi.sales) {ORDERS} JOIN stores s ON o.store_id = s.store_id "
            "GROUP BY 1",
        ),
        (
            "sales by product category",
            "SELECT p.category, SUM(oi.sales) FROM order_items oi JOIN products p "
            "ON oi.product_id = p.product_id GROUP BY 1",
        ),
        (
            "sales per customer segment",
            f"SELECT c.segment, SUM(oi.sales) {ORDERS} JOIN customers c "
            "ON o.customer_id = c.customer_id GROUP BY 1",
        ),
        ("orders by sales channel", "SELECT channel, COUNT(*) FROM orders GROUP BY 1"),
        (
            "sales per store",
            f"SELECT s.store_name, SUM(oi.sales) {ORDERS} JOIN stores s "
            "ON o.store_id = s.store_id GROUP BY 1",
        ),
        (
            "sales by area",
            f"SELECT s.region, SUM(oi.sales) {ORDERS} JOIN stores s ON o.store_id = s.store_id "
            "GROUP BY 1",
        ),
        (
            "Number of customers by region",
            "SELECT s.region, COUNT(DISTINCT o.customer_id) FROM orders o "
            "JOIN stores s ON o.store_id = s.store_id GROUP BY 1",
        ),
        (
            "Number of orders by category",
            "SELECT p.category, COUNT(DISTINCT oi.order_id) FROM order_items oi "
            "JOIN products p ON oi.product_id = p.product_id GROUP BY 1",
        ),
        (
            "average list price of products by brand",
            "SELECT brand, AVG(list_price) FROM products GROUP BY 1",
        ),
    ],
)
def test_groupings_are_found_by_name_synonym_and_relationship(
    question: str, gold: str, analyst: Analyst, demo_con: duckdb.DuckDBPyConnection
) -> None:
    assert_same(demo_con, answer(analyst, question).sql, gold)


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        (
            "monthly sales in 2023",
            f"SELECT date_trunc('month', o.order_date), SUM(oi.sales) {ORDERS} "
            "WHERE year(o.order_date) = 2023 GROUP BY 1 ORDER BY 1",
        ),
        (
            "sales in Q4 2023",
            f"SELECT SUM(oi.sales) {ORDERS} WHERE o.order_date >= DATE '2023-10-01' "
            "AND o.order_date < DATE '2024-01-01'",
        ),
        (
            "sales since 2022",
            f"SELECT SUM(oi.sales) {ORDERS} WHERE o.order_date >= DATE '2022-01-01'",
        ),
        (
            "daily sales in december 2024",
            f"SELECT o.order_date, SUM(oi.sales) {ORDERS} WHERE o.order_date "
            "BETWEEN DATE '2024-12-01' AND DATE '2024-12-31' GROUP BY 1 ORDER BY 1",
        ),
        (
            "monthly sales over the last 6 months",
            f"SELECT date_trunc('month', o.order_date), SUM(oi.sales) {ORDERS} "
            "WHERE o.order_date >= DATE '2024-07-01' GROUP BY 1 ORDER BY 1",
        ),
        (
            "Number of new customers per year",
            "SELECT date_trunc('year', signup_date), COUNT(*) FROM customers GROUP BY 1 ORDER BY 1",
        ),
    ],
)
def test_time_buckets_are_dates_oldest_first_and_ranges_filter(
    question: str, gold: str, analyst: Analyst, demo_con: duckdb.DuckDBPyConnection
) -> None:
    sql = answer(analyst, question).sql
    assert_same(demo_con, sql, gold, ordered=True)
    if "date_trunc" in sql:
        first = demo_con.sql(sql).fetchone()
        assert first is not None and type(first[0]).__name__ == "date"


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        (
            "profit by category in Europe",
            f"SELECT p.category, SUM(oi.profit) {ORDERS} JOIN products p "
            "ON oi.product_id = p.product_id JOIN stores s ON o.store_id = s.store_id "
            "WHERE s.region = 'Europe' GROUP BY 1",
        ),
        ("how many orders were returned", "SELECT COUNT(*) FROM orders WHERE status = 'Returned'"),
        (
            "canceled orders by channel",
            "SELECT channel, COUNT(*) FROM orders WHERE status = 'Cancelled' GROUP BY 1",
        ),
        (
            "sales in middle east and africa",
            f"SELECT SUM(oi.sales) {ORDERS} JOIN stores s ON o.store_id = s.store_id "
            "WHERE s.region = 'Middle East & Africa'",
        ),
        (
            "total sales excluding cancelled and returned orders",
            f"SELECT SUM(oi.sales) {ORDERS} WHERE o.status NOT IN ('Cancelled', 'Returned')",
        ),
        (
            "online vs phone sales by month",
            f"SELECT date_trunc('month', o.order_date), o.channel, SUM(oi.sales) {ORDERS} "
            "WHERE o.channel IN ('Online', 'Phone') GROUP BY 1, 2",
        ),
        (
            "Revenue by store in Paris",
            f"SELECT s.store_name, SUM(oi.sales) {ORDERS} JOIN stores s "
            "ON o.store_id = s.store_id WHERE s.city = 'Paris' GROUP BY 1",
        ),
    ],
)
def test_filters_come_from_values_in_the_data(
    question: str, gold: str, analyst: Analyst, demo_con: duckdb.DuckDBPyConnection
) -> None:
    assert_same(demo_con, answer(analyst, question).sql, gold)


def test_a_value_the_samples_lack_is_looked_up_with_a_bounded_query(
    demo_catalog: SemanticCatalog, demo_con: duckdb.DuckDBPyConnection
) -> None:
    # A catalog that lists only a few cities, as a profile of many values would.
    trimmed = demo_catalog.model_copy(deep=True)
    stores = trimmed.table("stores")
    assert stores is not None
    city = next(c for c in stores.columns if c.name == "city")
    city.sample_values = [v for v in city.sample_values if v != "Paris"][:3]
    looked_up: list[str] = []

    def lookup(sql: str) -> list[tuple[Any, ...]]:
        looked_up.append(sql)
        return demo_con.execute(sql).fetchall()

    plan = Analyst(trimmed, lookup=lookup).plan("Revenue by store in Paris")
    assert isinstance(plan, Answer) and "stores.city = 'Paris'" in plan.sql
    assert len(looked_up) == 1 and "'paris'" in looked_up[0] and "LIMIT" in looked_up[0]


@pytest.mark.parametrize(
    ("question", "top_n", "descending"),
    [
        ("top 10 products by sales", 10, True),
        ("Top five stores by profit", 5, True),
        ("bottom 5 products by profit", 5, False),
        ("which region has the highest sales", 1, True),
        ("Top 10 customers by orders", 10, True),
    ],
)
def test_rankings_keep_the_first_n_in_order(
    question: str,
    top_n: int,
    descending: bool,
    analyst: Analyst,
    demo_con: duckdb.DuckDBPyConnection,
) -> None:
    result = demo_con.sql(answer(analyst, question).sql).fetchall()
    assert len(result) == top_n
    values = [r[-1] for r in result]
    assert values == sorted(values, reverse=descending)


@pytest.mark.parametrize(
    ("plain", "awkward"),
    [
        ("Show total sales by region", "slaes by regoin"),
        ("Total revenue by product category", "CAN YOU PLEASE SHOW ME THE REVENUE PER CATEGORY??"),
        ("Monthly sales in 2023", "monthly revnue in 2023 please"),
        ("Number of orders by channel", "how many orders per sales channel"),
        ("Top 5 stores by profit", "top five shops by profits"),
        ("Average order value by customer segment", "whats the avg order value for each segment"),
        ("Profit margin by region", "margins broken down by regions"),
        ("Number of orders per year", "hey, i'd like to see the numbber of orders per year"),
        ("Sales by customer segment", "Sales by custmer segmnet, thanks!"),
    ],
)
def test_awkward_wording_answers_like_plain_wording(
    plain: str, awkward: str, analyst: Analyst, demo_con: duckdb.DuckDBPyConnection
) -> None:
    assert_same(demo_con, answer(analyst, awkward).sql, answer(analyst, plain).sql)


def test_follow_ups_refine_the_previous_question(
    analyst: Analyst, demo_con: duckdb.DuckDBPyConnection
) -> None:
    asked = ["Show total sales by region"]
    first = answer(analyst, asked[0])
    line = answer(analyst, "as a line chart", asked)
    assert line.sql == first.sql and line.chart == "line"
    asked.append("as a line chart")
    only = answer(analyst, "only 2023", asked)
    assert_same(
        demo_con,
        only.sql,
        f"SELECT s.region, SUM(oi.sales) {ORDERS} JOIN stores s ON o.store_id = s.store_id "
        "WHERE year(o.order_date) = 2023 GROUP BY 1",
    )
    asked.append("only 2023")
    top = answer(analyst, "top 3", asked)
    assert (top.intent.top_n, top.intent.time_range) == (3, only.intent.time_range)
    asked.append("top 3")
    by_month = answer(analyst, "by month instead", asked)
    assert by_month.intent.grain == "month" and not by_month.intent.dimensions
    asked.append("by month instead")
    profit = answer(analyst, "show profit instead", asked)
    assert profit.intent.grain == "month" and "profit" in profit.sql
    asked.append("show profit instead")
    europe = answer(analyst, "now just for Europe", asked)
    assert [(f.col.name, f.values) for f in europe.intent.filters] == [("region", ("Europe",))]
    asked.append("now just for Europe")
    cleared = answer(analyst, "remove the filter", asked)
    assert cleared.intent.filters == () and cleared.intent.time_range == europe.intent.time_range


@pytest.mark.parametrize(
    ("follow_up", "field", "value"),
    [
        ("change to pie", "chart", "pie"),
        ("switch to bars", "chart", "bar"),
        ("show as table", "chart", "table"),
        ("reverse the order", "order", "asc"),
        ("in green", "color_scheme", "greens"),
        ("without labels", "show_labels", False),
        ("limit to top 3", "top_n", 3),
    ],
)
def test_chart_refinements_change_only_what_they_name(
    follow_up: str, field: str, value: object, analyst: Analyst
) -> None:
    first = answer(analyst, "Sales by category")
    refined = answer(analyst, follow_up, ["Sales by category"])
    assert getattr(refined.intent, field) == value
    assert refined.intent.measures == first.intent.measures
    assert refined.intent.dimensions == first.intent.dimensions


def test_a_new_full_question_does_not_inherit_the_previous_one(analyst: Analyst) -> None:
    second = answer(analyst, "Number of orders by channel", ["Profit by category in Europe"])
    assert second.intent.filters == () and [d.name for d in second.intent.dimensions] == ["channel"]


@pytest.mark.parametrize(
    "question",
    ["sales by weather", "orders by day of week", "hello there", "tell me something interesting"],
)
def test_what_it_cannot_place_is_never_answered(question: str, analyst: Analyst) -> None:
    assert isinstance(analyst.plan(question), Clarify | Decline)


def test_a_word_that_names_several_columns_is_asked_back(analyst: Analyst) -> None:
    plan = analyst.plan("sales by name")
    assert isinstance(plan, Clarify)
    assert len(plan.options) >= 2
    for option in plan.options:
        assert isinstance(analyst.plan(option), Answer), option

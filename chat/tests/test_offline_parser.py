"""The offline question parser and SQL builder: measures, dimensions, time, filters and rankings
are recognised from the vocabulary and the catalog, in plain and awkward wording, and the SQL they
produce returns what hand-written SQL returns on the demo data."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from chat.agent.question_parser import Declined, Intent, Schema, parse_question
from chat.agent.sql_builder import BuiltQuery, build_sql
from chat.management.commands.eval_agent import load_catalog

# The demo database and catalog fixtures.
pytest_plugins = ("chat.tests.offline_demo",)


def intent_of(question: str, schema: Schema, previous: Intent | None = None) -> Intent:
    parsed = parse_question(question, schema, previous)
    assert isinstance(parsed, Intent), parsed
    return parsed


def sql_of(question: str, schema: Schema, previous: Intent | None = None) -> str:
    built = build_sql(intent_of(question, schema, previous), schema)
    assert isinstance(built, BuiltQuery), built
    return built.sql


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    out = []
    for row in con.sql(sql).fetchall():
        out.append(tuple(round(v, 6) if isinstance(v, float) else v for v in row))
    return sorted(out, key=repr)


@pytest.mark.parametrize(
    ("question", "agg", "label"),
    [
        ("total revenue", "sum", "revenue"),
        ("sales", "sum", "sales"),
        ("profit margin", "ratio", "margin"),
        ("average order value", "ratio", "average_order_value"),
        ("units sold", "sum", "units"),
        ("number of orders", "count_entity", "orders"),
        ("how many customers", "count_entity", "customers"),
        ("average discount", "avg", "avg_discount"),
        ("max discount", "max", "max_discount"),
    ],
)
def test_measures_follow_the_business_vocabulary(
    question: str, agg: str, label: str, schema: Schema
) -> None:
    intent = intent_of(question, schema)
    assert [(m.agg, m.label) for m in intent.measures] == [(agg, label)]


@pytest.mark.parametrize(
    ("question", "column"),
    [
        ("sales by region", "region"),
        ("sales by product category", "category"),
        ("sales per customer segment", "segment"),
        ("sales by sales channel", "channel"),
        ("sales for each country", "country"),
        ("sales by order status", "status"),
        ("sales per store", "store_name"),
        ("revenue by brands", "brand"),
    ],
)
def test_dimensions_are_found_by_name_and_synonym(
    question: str, column: str, schema: Schema
) -> None:
    assert [d.column for d in intent_of(question, schema).dimensions] == [column]


@pytest.mark.parametrize(
    ("question", "grain", "where"),
    [
        ("monthly sales", "month", None),
        ("sales by quarter", "quarter", None),
        ("yearly sales trend", "year", None),
        ("sales trend", "month", None),
        ("sales in 2023", None, "year(o.order_date) = 2023"),
        ("daily sales in december 2024", "day", "year(o.order_date) = 2024 AND month("),
        ("sales in Q4 2023", None, "quarter(o.order_date) = 4"),
        ("revenue in Q1", None, "WHERE quarter(o.order_date) = 1"),
        ("sales since 2022", None, "o.order_date >= DATE '2022-01-01'"),
        ("sales between 2021 and 2022", None, "BETWEEN 2021 AND 2022"),
        (
            "monthly sales over the last 6 months",
            "month",
            "date_trunc('month', (SELECT MAX(order_date) FROM orders)) - INTERVAL 5 MONTH",
        ),
    ],
)
def test_time_grains_and_ranges(
    question: str, grain: str | None, where: str | None, schema: Schema
) -> None:
    intent = intent_of(question, schema)
    assert intent.grain == grain
    sql = sql_of(question, schema)
    if where is None:
        assert "WHERE" not in sql
    else:
        assert where in sql
    if grain:
        assert f"CAST(date_trunc('{grain}', o.order_date) AS DATE)" in sql
        assert sql.rstrip().endswith("ORDER BY 1")


def test_last_months_are_counted_back_from_the_newest_date_in_the_data(
    schema: Schema, demo_con: duckdb.DuckDBPyConnection
) -> None:
    months = demo_con.sql(sql_of("monthly sales in the last 6 months", schema)).fetchall()
    assert [m[0].isoformat() for m in months] == [
        "2024-07-01",
        "2024-08-01",
        "2024-09-01",
        "2024-10-01",
        "2024-11-01",
        "2024-12-01",
    ]


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        ("profit by category in Europe", "s.region = 'Europe'"),
        ("quarterly revenue for Electronics", "p.category = 'Electronics'"),
        ("monthly online sales", "o.channel = 'Online'"),
        ("how many orders were returned", "o.status = 'Returned'"),
        ("canceled orders by channel", "o.status = 'Cancelled'"),
        ("sales in middle east and africa", "s.region = 'Middle East & Africa'"),
        ("revenue by region excluding Europe", "s.region <> 'Europe'"),
        ("sales for corporate customers", "c.segment = 'Corporate'"),
    ],
)
def test_filters_come_from_catalog_sample_values(
    question: str, condition: str, schema: Schema
) -> None:
    assert condition in sql_of(question, schema)


@pytest.mark.parametrize(
    ("question", "condition"),
    [
        (
            "total sales excluding cancelled and returned orders",
            "o.status NOT IN ('Cancelled', 'Returned')",
        ),
        (
            "revenue by region except europe and asia pacific",
            "s.region NOT IN ('Europe', 'Asia Pacific')",
        ),
        ("online vs phone sales by month", "o.channel IN ('Online', 'Phone')"),
    ],
)
def test_a_negation_or_a_comparison_covers_the_whole_list(
    question: str, condition: str, schema: Schema
) -> None:
    assert condition in sql_of(question, schema)


def test_a_column_named_after_its_value_does_not_group(schema: Schema) -> None:
    intent = intent_of("number of orders by month for the phone channel", schema)
    assert intent.dimensions == () and intent.grain == "month"
    assert [(f.column, f.values) for f in intent.filters] == [("channel", ("Phone",))]


@pytest.mark.parametrize(
    ("question", "expression"),
    [
        ("average sales per customer", "SUM(oi.sales) / COUNT(DISTINCT o.customer_id)"),
        (
            "how many orders per customer on average",
            "COUNT(DISTINCT o.order_id) / COUNT(DISTINCT o.customer_id)",
        ),
        ("average revenue per store", "SUM(oi.sales) / COUNT(DISTINCT o.store_id)"),
    ],
)
def test_an_average_per_entity_divides_by_the_entity_count(
    question: str, expression: str, schema: Schema
) -> None:
    sql = sql_of(question, schema)
    assert expression in sql and "GROUP BY" not in sql


def test_a_measure_per_measure_is_a_ratio(schema: Schema) -> None:
    sql = sql_of("profit per unit by category", schema)
    assert "SUM(oi.profit) / SUM(oi.quantity) AS profit_per_unit" in sql


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("how much did we sell in 2023", "sales"),
        ("how much did customers spend by segment", "sales"),
        ("how many customers bought electronics", "customers"),
    ],
)
def test_buying_and_selling_verbs(question: str, measure: str, schema: Schema) -> None:
    assert [m.label for m in intent_of(question, schema).measures] == [measure]


def test_no_status_filter_unless_asked(schema: Schema) -> None:
    assert "status" not in sql_of("number of orders by channel", schema)


@pytest.mark.parametrize(
    ("question", "top_n", "order"),
    [
        ("top 10 products by sales", 10, "desc"),
        ("Top five stores by profit", 5, "desc"),
        ("bottom 5 products by profit", 5, "asc"),
        ("3 worst brands by margin", 3, "asc"),
        ("which region has the highest sales", 1, "desc"),
        ("Which 3 cities generate the most revenue?", 3, "desc"),
        ("which two categories sell the least", 2, "asc"),
    ],
)
def test_top_n_and_ordering(question: str, top_n: int, order: str, schema: Schema) -> None:
    intent = intent_of(question, schema)
    assert (intent.top_n, intent.order) == (top_n, order)
    sql = sql_of(question, schema)
    assert sql.endswith(f"ORDER BY 2 {order.upper()}\nLIMIT {top_n}")


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
    plain: str, awkward: str, schema: Schema, demo_con: duckdb.DuckDBPyConnection
) -> None:
    assert rows(demo_con, sql_of(awkward, schema)) == rows(demo_con, sql_of(plain, schema))


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        (
            "Average order value by customer segment",
            "SELECT c.segment, SUM(oi.sales) / COUNT(DISTINCT o.order_id) FROM order_items oi "
            "JOIN orders o ON oi.order_id = o.order_id JOIN customers c "
            "ON o.customer_id = c.customer_id GROUP BY 1",
        ),
        (
            "Number of customers by region",
            "SELECT s.region, COUNT(DISTINCT o.customer_id) FROM orders o "
            "JOIN stores s ON o.store_id = s.store_id GROUP BY 1",
        ),
        (
            "Number of new customers per year",
            "SELECT date_trunc('year', signup_date), COUNT(*) FROM customers GROUP BY 1",
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
def test_sql_returns_what_hand_written_sql_returns(
    question: str, gold: str, schema: Schema, demo_con: duckdb.DuckDBPyConnection
) -> None:
    got, want = rows(demo_con, sql_of(question, schema)), rows(demo_con, gold)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        for a, b in zip(g, w, strict=True):
            if isinstance(a, float):
                assert math.isclose(a, b, rel_tol=1e-6)
            elif hasattr(a, "year") and hasattr(b, "year"):
                assert (a.year, a.month, a.day) == (b.year, b.month, b.day)
            else:
                assert a == b


def test_years_compared_become_a_series(schema: Schema) -> None:
    sql = sql_of("sales by region for 2021 vs 2022", schema)
    assert sql.startswith("SELECT s.region, CAST(date_trunc('year', o.order_date) AS DATE) AS year")
    assert "year(o.order_date) IN (2021, 2022)" in sql and "GROUP BY 1, 2" in sql


def test_a_chart_word_after_by_is_the_catalog_synonym_it_names(demo_path: Path) -> None:
    # executors/demo_catalog.yaml names "area" a synonym of stores.region.
    annotated = Schema(load_catalog(demo_path))
    assert [d.column for d in intent_of("sales by area", annotated).dimensions] == ["region"]
    assert intent_of("monthly sales as an area chart", annotated).chart == "area"


def test_joins_only_the_tables_a_question_needs(schema: Schema) -> None:
    assert sql_of("Total profit", schema) == "SELECT SUM(oi.profit) AS profit\nFROM order_items oi"
    sql = sql_of("sales by category", schema)
    assert "JOIN products p" in sql and "stores" not in sql and "customers" not in sql


def test_follow_ups_refine_the_previous_question(schema: Schema) -> None:
    first = intent_of("Show total sales by region", schema)
    as_line = intent_of("as a line chart", schema, first)
    assert as_line.chart == "line" and as_line.dimensions == first.dimensions
    only_2023 = intent_of("only 2023", schema, as_line)
    assert "year(o.order_date) = 2023" in sql_of("only 2023", schema, as_line)
    top = intent_of("top 3", schema, only_2023)
    assert (top.top_n, top.time_range) == (3, only_2023.time_range)
    by_month = intent_of("by month instead", schema, top)
    assert by_month.grain == "month" and not by_month.dimensions and by_month.top_n is None
    profit = intent_of("show profit instead", schema, by_month)
    assert [m.label for m in profit.measures] == ["profit"] and profit.grain == "month"
    europe = intent_of("now just for Europe", schema, profit)
    assert [(f.column, f.values) for f in europe.filters] == [("region", ("Europe",))]
    cleared = intent_of("remove the filter", schema, europe)
    assert cleared.filters == () and cleared.time_range == europe.time_range


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
    follow_up: str, field: str, value: object, schema: Schema
) -> None:
    first = intent_of("Sales by category", schema)
    refined = intent_of(follow_up, schema, first)
    assert getattr(refined, field) == value
    assert refined.measures == first.measures and refined.dimensions == first.dimensions
    assert refined.grain is None and not refined.growth


def test_a_new_full_question_does_not_inherit_the_previous_one(schema: Schema) -> None:
    first = intent_of("Profit by category in Europe", schema)
    second = intent_of("Number of orders by channel", schema, first)
    assert second.filters == () and [d.column for d in second.dimensions] == ["channel"]


@pytest.mark.parametrize(
    "question",
    [
        "sales by weather",
        "orders by day of week",
        "top products",
        "hello there",
        "total sales where discount > 0.3",
        "what share of orders is returned",
    ],
)
def test_what_it_cannot_place_is_declined_not_guessed(question: str, schema: Schema) -> None:
    parsed = parse_question(question, schema)
    assert isinstance(parsed, Declined)
    assert parsed.message.startswith(
        "I can't answer that offline: configure an LLM with VIZORCH_LLM"
    )


def test_unknown_words_are_offered_for_a_value_lookup(schema: Schema) -> None:
    parsed = parse_question("Revenue by store in Paris", schema)
    if isinstance(parsed, Declined):
        assert "paris" in parsed.lookup
    known = schema.with_values([("stores", "city", "Paris")])
    assert "s.city = 'Paris'" in sql_of("Revenue by store in Paris", known)

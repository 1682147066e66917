"""Chart choice of the offline model: line for time, bar for categories, pie for shares of a few
parts, scatter for two measures, KPI for one number, table otherwise; an explicit ask wins when
the data fits it; the parameters and controls follow the contract."""

from __future__ import annotations

import pytest

from chat.agent.chart_templates import build_params, build_spec
from chat.agent.question_parser import Intent, Schema, choose_chart, parse_question
from chat.agent.sql_builder import BuiltQuery, build_sql

# The demo database and catalog fixtures.
pytest_plugins = ("chat.tests.offline_demo",)


def chart_of(question: str, schema: Schema, previous: Intent | None = None) -> str:
    intent = parse_question(question, schema, previous)
    assert isinstance(intent, Intent), intent
    return choose_chart(intent, schema)


@pytest.mark.parametrize(
    ("question", "chart"),
    [
        ("Monthly sales in 2023", "line"),
        ("Yearly sales trend", "line"),
        ("sales by month and region", "line"),
        ("Show total sales by region", "bar"),
        ("Top 10 products by sales", "bar"),
        ("profit by segment and channel", "bar"),
        ("sales by region 2022 vs 2023", "bar"),
        ("sales in 2021 and 2022", "bar"),
        ("total sales and profit by region", "bar"),
        ("Share of sales by channel", "pie"),
        ("percentage of revenue by category", "pie"),
        ("share of sales by product", "bar"),
        ("Sales vs profit by product", "scatter"),
        ("sales versus profit by region", "scatter"),
        ("Total profit", "kpi"),
        ("How many orders were returned?", "kpi"),
        ("total sales and profit", "table"),
    ],
)
def test_chart_follows_the_shape_of_the_answer(question: str, chart: str, schema: Schema) -> None:
    assert chart_of(question, schema) == chart


@pytest.mark.parametrize(
    ("question", "chart"),
    [
        ("sales by region as a pie chart", "pie"),
        ("monthly sales as an area chart", "area"),
        ("sales by region in a table", "table"),
        ("monthly sales as bars", "bar"),
        ("total profit as a pie", "kpi"),
    ],
)
def test_an_explicit_chart_wins_when_the_data_fits_it(
    question: str, chart: str, schema: Schema
) -> None:
    assert chart_of(question, schema) == chart


def test_a_follow_up_changes_only_the_chart(schema: Schema) -> None:
    first = parse_question("Show total sales by region", schema)
    assert isinstance(first, Intent)
    assert chart_of("make it a line chart", schema, first) == "line"


def test_params_carry_values_and_a_control_per_value(schema: Schema) -> None:
    intent = parse_question("top 5 brands by sales in blue", schema)
    assert isinstance(intent, Intent)
    query = build_sql(intent, schema)
    assert isinstance(query, BuiltQuery)
    params = build_params(build_spec(intent, query, choose_chart(intent, schema)), row_count=5)
    values = params["values"]
    assert values["title"] == "Top 5 Brands by Sales"
    assert values["chart_type"] == "bar"
    assert values["color_scheme"] == "blues"
    assert values["top_n"] == 5 and values["sort"] == "desc"
    controls = {c["name"]: c for c in params["controls"]}
    assert set(values) <= set(controls)
    assert controls["chart_type"]["kind"] == "select"
    assert controls["chart_type"]["options"] == ["bar", "line", "area", "pie", "table"]
    assert controls["color_scheme"]["kind"] == "color_scheme"
    assert controls["top_n"]["kind"] == "number" and controls["top_n"]["min"] == 0
    assert controls["show_labels"]["kind"] == "switch"


def test_time_charts_offer_no_ranking_controls(schema: Schema) -> None:
    intent = parse_question("monthly profit margin", schema)
    assert isinstance(intent, Intent)
    query = build_sql(intent, schema)
    assert isinstance(query, BuiltQuery)
    spec = build_spec(intent, query, "line")
    params = build_params(spec)
    assert "top_n" not in params["values"] and "sort" not in params["values"]
    assert spec.percent_values == ("margin",)

"""Chart choice of the offline model: line for time, bar for categories, pie for shares of a few
parts, scatter for two measures, KPI for one number, table otherwise; small multiples when one
chart would have more series than it shows readably; an explicit ask wins when the data fits it;
the parameters and controls follow the contract."""

from __future__ import annotations

import pytest

from analyst.charts import MAX_PANELS, MAX_SERIES, build_params, series_count
from analyst.core import Analyst, Answer
from executors.catalog.model import SemanticCatalog

# The demo database and catalog fixtures.
pytest_plugins = ("chat.tests.offline_demo",)


@pytest.fixture(scope="module")
def analyst(demo_catalog: SemanticCatalog) -> Analyst:
    return Analyst(demo_catalog)


def answer_of(question: str, analyst: Analyst, earlier: tuple[str, ...] = ()) -> Answer:
    plan = analyst.plan(question, earlier)
    assert isinstance(plan, Answer), plan
    return plan


def chart_of(question: str, analyst: Analyst, earlier: tuple[str, ...] = ()) -> str:
    return answer_of(question, analyst, earlier).chart


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
def test_chart_follows_the_shape_of_the_answer(question: str, chart: str, analyst: Analyst) -> None:
    assert chart_of(question, analyst) == chart


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
    question: str, chart: str, analyst: Analyst
) -> None:
    assert chart_of(question, analyst) == chart


def test_more_series_than_one_chart_shows_are_small_multiples_then_lines_or_a_table(
    analyst: Analyst,
) -> None:
    """The series are the distinct values the catalog's profile counts for the series column,
    narrowed by the question's filters on it: up to eight are one chart, up to 24 a panel
    each, more a trend's largest lines and "Other", or a table of categories."""

    def case(question: str) -> tuple[int | None, str]:
        answer = answer_of(question, analyst)
        return series_count(answer.intent), answer.chart

    few, one_chart = case("sales by month and region")
    assert few is not None and few <= MAX_SERIES and one_chart == "line"
    for question in ("monthly sales by country", "sales by region and brand"):
        some, chart = case(question)
        assert some is not None and MAX_SERIES < some <= MAX_PANELS and chart == "multiples"
    # The question's own filter on the series column counts: two countries are two lines.
    assert case("monthly sales for Germany and France by country") == (2, "line")
    many, trend = case("monthly sales by store")
    assert many is not None and many > MAX_PANELS and trend == "line"
    many, categories = case("sales by region and city")
    assert many is not None and many > MAX_PANELS and categories == "table"


@pytest.mark.parametrize(
    ("question", "chart"),
    [
        ("monthly sales by region as small multiples", "multiples"),
        ("monthly sales by store as small multiples", "multiples"),
        ("monthly sales by country as a line chart", "line"),
        ("total profit as small multiples", "kpi"),
        ("monthly sales as small multiples", "line"),
    ],
)
def test_small_multiples_are_drawn_when_asked_for_two_axes(
    question: str, chart: str, analyst: Analyst
) -> None:
    assert chart_of(question, analyst) == chart


def test_small_multiples_params_switch_to_one_chart_and_cap_the_bars_of_a_panel(
    analyst: Analyst,
) -> None:
    trend = build_params(answer_of("monthly sales by country", analyst).spec(), row_count=1056)
    controls = {c["name"]: c for c in trend["controls"]}
    assert trend["values"]["chart_type"] == "multiples"
    assert controls["chart_type"]["options"] == ["line", "area", "bar", "multiples", "table"]
    assert "top_n" not in trend["values"]
    bars = build_params(answer_of("sales by region and brand", analyst).spec(), row_count=75)
    assert bars["values"]["chart_type"] == "multiples"
    assert bars["values"]["top_n"] == 10
    one = build_params(answer_of("Show total sales by region", analyst).spec(), row_count=5)
    options = next(c for c in one["controls"] if c["name"] == "chart_type")["options"]
    assert "multiples" not in options


def test_a_follow_up_changes_only_the_chart(analyst: Analyst) -> None:
    assert chart_of("make it a line chart", analyst, ("Show total sales by region",)) == "line"


def test_params_carry_values_and_a_control_per_value(analyst: Analyst) -> None:
    answer = answer_of("top 5 brands by sales in blue", analyst)
    params = build_params(answer.spec(), row_count=5)
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


def test_time_charts_offer_no_ranking_controls(analyst: Analyst) -> None:
    spec = answer_of("monthly profit margin", analyst).spec()
    params = build_params(spec)
    assert "top_n" not in params["values"] and "sort" not in params["values"]
    assert spec.percent_values == ("margin",)

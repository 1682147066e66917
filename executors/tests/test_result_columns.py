"""What a result's columns are, traced from its SQL to the semantic catalog: aggregates keep the
unit of what they aggregate (a count is a whole number, a sum of rates is no rate), a bucket of a
date has its grain, a metric keeps its format through its name or its expression, a relative
change is a percent, and columns of CTEs and subqueries are followed to their source."""

from __future__ import annotations

import pytest

from executors.catalog.model import Metric, SemanticCatalog, SemanticColumn, SemanticTable
from executors.columns import column_type, result_columns, trace


def _column(name: str, role: str, fmt: str, **extra: object) -> SemanticColumn:
    return SemanticColumn.model_validate(
        {"name": name, "type": "x", "role": role, "label": name.replace("_", " "), "format": fmt}
        | extra
    )


CATALOG = SemanticCatalog(
    engine="e",
    dialect="duckdb",
    tables=[
        SemanticTable(
            name="lines",
            label="lines",
            columns=[
                _column("line_id", "identifier", "integer"),
                _column("amount", "measure", "currency"),
                _column("rate", "measure", "percent"),
                _column("booked_on", "time", "date"),
                _column("fiscal_year", "time", "integer", time_part="year"),
            ],
        ),
        SemanticTable(name="units", label="units", columns=[_column("area", "dimension", "text")]),
    ],
    metrics=[
        Metric(
            name="yield",
            expression="SUM(lines.rate * lines.amount) / SUM(lines.amount)",
            table="lines",
            format="percent",
        ),
    ],
)


def formats(sql: str) -> dict[str, tuple[str | None, str | None]]:
    return {name: (m.format, m.grain) for name, m in trace(sql, "duckdb", CATALOG).items()}


def test_aggregates_keep_the_unit_of_what_they_aggregate() -> None:
    found = formats(
        "SELECT u.area, SUM(l.amount) AS total, AVG(l.rate) AS avg_rate, SUM(l.rate) AS rates, "
        "COUNT(DISTINCT l.line_id) AS n, MAX(l.amount) AS top FROM lines l JOIN units u ON true "
        "GROUP BY 1"
    )
    assert found["area"] == ("text", None)
    assert found["total"] == ("currency", None)
    assert found["avg_rate"] == ("percent", None)
    assert "rates" not in found
    assert found["n"] == ("integer", None)
    assert found["top"] == ("currency", None)


def test_a_date_bucket_has_its_grain() -> None:
    found = formats(
        "SELECT CAST(date_trunc('quarter', booked_on) AS DATE) AS q, date_trunc('week', booked_on) "
        "AS w, booked_on, make_date(fiscal_year, 1, 1) AS y, fiscal_year FROM lines"
    )
    assert found["q"] == ("date", "quarter")
    assert found["w"] == ("date", "week")
    assert found["booked_on"] == ("date", "day")
    assert found["y"] == ("date", "year")
    # A year number reads as it is.
    assert found["fiscal_year"] == ("text", None)


def test_a_metric_keeps_its_format_by_expression_or_name() -> None:
    found = formats(
        "SELECT SUM(l.rate * l.amount) / SUM(l.amount) AS y1, 0.5 AS yield FROM lines AS l"
    )
    assert found["y1"] == ("percent", None)
    assert found["yield"] == ("percent", None)


def test_a_relative_change_is_a_percent_and_ctes_are_followed() -> None:
    found = formats(
        "WITH m AS (SELECT date_trunc('month', booked_on) AS month, SUM(amount) AS total "
        "FROM lines GROUP BY 1) "
        "SELECT month, total, (total - LAG(total) OVER (ORDER BY month)) / "
        "LAG(total) OVER (ORDER BY month) AS growth, total / 2 AS half FROM m"
    )
    assert found["month"] == ("date", "month")
    assert found["total"] == ("currency", None)
    assert found["growth"] == ("percent", None)
    assert "half" not in found


def test_sql_that_does_not_parse_traces_to_nothing() -> None:
    assert trace("SELECT FROM WHERE (", "duckdb", CATALOG) == {}


@pytest.mark.parametrize(
    ("arrow", "kind"),
    [
        ("int64", "integer"),
        ("uint8", "integer"),
        ("double", "number"),
        ("decimal128(18, 3)", "decimal"),
        ("large_string", "text"),
        ("dictionary<values=string, indices=int32, ordered=0>", "text"),
        ("bool", "boolean"),
        ("date32[day]", "date"),
        ("timestamp[us, tz=UTC]", "timestamp"),
        ("time64[us]", "time"),
        ("duration[us]", "duration"),
        ("list<item: int64>", "nested"),
    ],
)
def test_arrow_types_map_to_a_closed_set(arrow: str, kind: str) -> None:
    assert column_type(arrow) == kind


def test_a_stored_schema_without_formats_reads_by_type() -> None:
    columns = result_columns(
        [
            {"name": "d", "type": "date32[day]"},
            {"name": "t", "type": "timestamp[us]"},
            {"name": "x", "type": "double", "format": "currency"},
        ]
    )
    assert [(c["format"], c["grain"]) for c in columns] == [
        ("date", None),
        ("datetime", None),
        ("currency", None),
    ]
    assert columns[2]["currency"] == "USD"

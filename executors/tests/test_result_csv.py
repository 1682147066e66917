"""`GET /api/data/{id}?format=csv`: a stored result as a CSV file, with decimals at their scale
and sums of doubles without rounding noise, saved under the name asked for."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from executors.results import csv_number
from executors.tests.test_result_api import _body, _query

NOISY_SQL = (
    "SELECT 'a, \"quoted\"' AS label, 5497026.942000014::DOUBLE AS total, "
    "CAST(12.5 AS DECIMAL(10, 2)) AS price, DATE '2024-03-01' AS day, NULL::DOUBLE AS missing"
)


def test_csv_download_has_no_float_noise_and_keeps_the_scale(
    executor_settings: Any, analyst: Any
) -> None:
    client = Client()
    client.force_login(analyst)
    stored = _query(client, NOISY_SQL).json()
    response = client.get(f"{stored['url']}?format=csv&download=Sales by Region")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="Sales-by-Region.csv"'
    rows = list(csv.reader(io.StringIO(_body(response).decode())))
    assert rows == [
        ["label", "total", "price", "day", "missing"],
        ['a, "quoted"', "5497026.942", "12.50", "2024-03-01", ""],
    ]


def test_a_float_keeps_its_shortest_form_when_that_has_no_noise() -> None:
    assert csv_number(0.1 + 0.2) == "0.3"
    assert csv_number(-3.25) == "-3.25"
    assert csv_number(100.0) == "100"
    assert csv_number(1.5e-05) == "1.5e-05"
    assert csv_number(float("nan")) == ""

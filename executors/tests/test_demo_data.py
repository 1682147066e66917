"""The demo dataset matches docs/demo-data.md exactly and looks like a real business."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from executors import demo_data

SPEC = {
    "stores": [
        ("store_id", "INTEGER"),
        ("store_name", "VARCHAR"),
        ("city", "VARCHAR"),
        ("country", "VARCHAR"),
        ("region", "VARCHAR"),
    ],
    "customers": [
        ("customer_id", "INTEGER"),
        ("customer_name", "VARCHAR"),
        ("segment", "VARCHAR"),
        ("signup_date", "DATE"),
    ],
    "products": [
        ("product_id", "INTEGER"),
        ("product_name", "VARCHAR"),
        ("category", "VARCHAR"),
        ("subcategory", "VARCHAR"),
        ("brand", "VARCHAR"),
        ("list_price", "DECIMAL(10,2)"),
    ],
    "orders": [
        ("order_id", "INTEGER"),
        ("order_date", "DATE"),
        ("customer_id", "INTEGER"),
        ("store_id", "INTEGER"),
        ("channel", "VARCHAR"),
        ("status", "VARCHAR"),
    ],
    "order_items": [
        ("order_item_id", "INTEGER"),
        ("order_id", "INTEGER"),
        ("product_id", "INTEGER"),
        ("quantity", "INTEGER"),
        ("unit_price", "DECIMAL(10,2)"),
        ("discount", "DOUBLE"),
        ("sales", "DOUBLE"),
        ("cost", "DOUBLE"),
        ("profit", "DOUBLE"),
    ],
}


@pytest.fixture(scope="module")
def con(demo_db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{demo_db_path}' AS demo (READ_ONLY)")
        connection.execute("USE demo")
        yield connection


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row


def test_tables_and_columns_are_exactly_the_spec(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in SPEC.items():
        found = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = 'demo' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        assert found == columns, table


def test_value_sets_are_the_documented_ones(con: duckdb.DuckDBPyConnection) -> None:
    def values(sql: str) -> set[str]:
        return {row[0] for row in con.execute(sql).fetchall()}

    assert values("SELECT DISTINCT region FROM stores") == {
        "North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa",
    }  # fmt: skip
    assert values("SELECT DISTINCT segment FROM customers") == {
        "Consumer", "Corporate", "Small Business",
    }  # fmt: skip
    assert values("SELECT DISTINCT category FROM products") == {
        "Electronics", "Furniture", "Office Supplies", "Clothing", "Groceries",
    }  # fmt: skip
    assert values("SELECT DISTINCT channel FROM orders") == {"Online", "In-store", "Phone"}
    assert values("SELECT DISTINCT status FROM orders") == {"Completed", "Returned", "Cancelled"}


def test_keys_are_unique_and_references_resolve(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in SPEC.items():
        key = columns[0][0]
        total, distinct = _one(con, f"SELECT count(*), count(DISTINCT {key}) FROM {table}")
        assert total == distinct > 0, table
    assert _one(
        con,
        "SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) "
        "LEFT JOIN stores s USING (store_id) WHERE c.customer_id IS NULL OR s.store_id IS NULL",
    ) == (0,)
    assert _one(
        con,
        "SELECT count(*) FROM order_items i LEFT JOIN orders o USING (order_id) "
        "LEFT JOIN products p USING (product_id) WHERE o.order_id IS NULL OR p.product_id IS NULL",
    ) == (0,)


def test_every_order_has_at_least_one_item(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(
        con,
        "SELECT count(*) FROM orders o "
        "WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id)",
    ) == (0,)


def test_line_amounts_follow_the_formulas(con: duckdb.DuckDBPyConnection) -> None:
    worst_sales, worst_profit, low, high = _one(
        con,
        "SELECT max(abs(sales - quantity * unit_price::DOUBLE * (1 - discount))), "
        "max(abs(profit - (sales - cost))), min(discount), max(discount) FROM order_items",
    )
    assert worst_sales < 1e-9 and worst_profit < 1e-9
    assert low >= 0 and high <= 0.5 and high > low


def test_dates_span_2021_to_2024(con: duckdb.DuckDBPyConnection) -> None:
    first, last = _one(con, "SELECT min(order_date), max(order_date) FROM orders")
    assert (str(first), str(last)) == ("2021-01-01", "2024-12-31")


def test_sales_grow_and_peak_in_the_holidays(con: duckdb.DuckDBPyConnection) -> None:
    by_year = dict(
        con.execute(
            "SELECT year(order_date), sum(sales) FROM orders JOIN order_items USING (order_id) "
            "GROUP BY 1"
        ).fetchall()
    )
    assert by_year[2021] < by_year[2022] < by_year[2023] < by_year[2024]
    by_month = dict(
        con.execute("SELECT month(order_date), count(*) FROM orders GROUP BY 1").fetchall()
    )
    assert by_month[12] > 1.4 * by_month[2]


def test_a_few_stores_and_products_dominate(con: duckdb.DuckDBPyConnection) -> None:
    top_store_share = _one(
        con,
        "SELECT max(n) / sum(n) FROM (SELECT store_id, count(*) AS n FROM orders GROUP BY 1)",
    )[0]
    assert top_store_share > 3 / 50  # more than three times an even share
    top10_products = _one(
        con,
        "SELECT sum(n) FILTER (WHERE rank <= 10) / sum(n) FROM ("
        " SELECT count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS rank"
        " FROM order_items GROUP BY product_id)",
    )[0]
    assert top10_products > 10 * 2 / 400


def test_tables_and_columns_carry_descriptions(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(
        con, "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'demo' AND comment <> ''"
    ) == (5,)
    missing = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = 'demo' AND coalesce(comment, '') = ''"
    ).fetchall()
    assert missing == []


def test_generation_is_deterministic_and_idempotent(tmp_path: Path) -> None:
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert demo_data.ensure_demo_database(first, scale=0.005)
    assert demo_data.ensure_demo_database(second, scale=0.005)
    assert not demo_data.ensure_demo_database(first, scale=0.005)
    fingerprint = (
        "SELECT count(*), sum(hash(order_item_id, order_id, product_id, quantity, unit_price, "
        "discount, sales, cost)) FROM order_items"
    )
    results = []
    for path in (first, second):
        with duckdb.connect(str(path), read_only=True) as con:
            results.append(con.execute(fingerprint).fetchone())
    assert results[0] == results[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.duckdb", "b.duckdb"]


def test_scale_one_is_about_a_million_order_items() -> None:
    # The sizes are computed, not generated: orders times the mean number of lines (about 2.6).
    orders = demo_data.ORDERS_AT_SCALE_1
    assert 900_000 < orders * 2.616 < 1_100_000


def test_tpch_loads_into_its_own_schema(tmp_path: Path) -> None:
    path = tmp_path / "bench.duckdb"
    demo_data.load_tpch(path, 0.001)
    demo_data.load_tpch(path, 0.001)  # idempotent
    with duckdb.connect(str(path), read_only=True) as con:
        assert _one(con, "SELECT count(*) > 0 FROM tpch.lineitem") == (True,)


def test_an_unrelated_database_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    with pytest.raises(RuntimeError, match="not the demo database"):
        demo_data.ensure_demo_database(path, scale=0.005)
    with duckdb.connect(str(path), read_only=True) as con:
        assert _one(con, "SELECT answer FROM precious") == (42,)

"""The SQL guard on its own: what it refuses (and how it says so), what it lets through, the row
limit wrapper, the allow-lists and the DuckDB to Spark transpilation."""

from __future__ import annotations

import pytest
import sqlglot

from executors.errors import SqlRefused
from executors.guard import GuardPolicy, check_statement, guard, transpile
from executors.tests.hostile import HOSTILE


def test_there_are_at_least_forty_hostile_statements() -> None:
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(("sql", "construct"), HOSTILE, ids=[s[:40] for s, _c in HOSTILE])
def test_hostile_statement_is_refused_naming_the_construct(sql: str, construct: str) -> None:
    with pytest.raises(SqlRefused) as refused:
        guard(sql.format(tmp="/tmp/vz-guard"))
    assert construct.lower() in refused.value.message.lower()
    assert refused.value.code == "sql_refused"


def test_refusal_message_says_why() -> None:
    with pytest.raises(SqlRefused) as refused:
        guard("COPY orders TO '/tmp/x.csv'")
    assert refused.value.message == "COPY is not allowed: Vizorch runs read-only queries"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select region, count(*) from stores group by all",
        "FROM stores",
        "WITH big AS (SELECT * FROM stores WHERE store_id < 5) SELECT * FROM big",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT store_id FROM stores EXCEPT SELECT store_id FROM orders",
        "VALUES (1, 'a'), (2, 'b')",
        "(SELECT 1)",
        "SELECT * FROM range(10)",
        "SELECT * FROM generate_series(1, 3)",
        "SELECT unnest([1, 2, 3])",
        "SELECT 'DROP TABLE orders; COPY x TO y' AS harmless_text",
        "SELECT '\uff46\uff55\uff4c\uff4c width text is fine in a literal'",
        "SELECT 1 -- a trailing comment",
        "SELECT date_trunc('month', order_date) AS month, count(*) FROM orders GROUP BY 1",
        "SELECT 1;",
        "SELECT table_name FROM information_schema.tables",
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'orders'",
        "SELECT * FROM json_each('[1, 2]')",
        "SELECT CASE WHEN a OR b THEN x::INT END, j->>'k', s ~ 'a.*', coalesce(x, 0) FROM t",
    ],
)
def test_read_only_query_passes(sql: str) -> None:
    assert guard(sql).sql


def test_comments_never_reach_the_engine() -> None:
    statement = guard("SELECT 1 /* ; DROP TABLE orders */ AS one -- ; DELETE FROM orders")
    assert "DROP" not in statement.sql and "DELETE" not in statement.sql
    assert "/*" not in statement.sql and "--" not in statement.sql


def test_row_limit_wraps_the_statement_and_fetches_one_more_row() -> None:
    statement = guard("SELECT * FROM orders ORDER BY order_id LIMIT 50", max_rows=10)
    tree = sqlglot.parse_one(statement.sql, read="duckdb")
    assert tree.args["limit"].expression.this == "11"
    assert statement.fetch_rows == 11
    assert statement.query == "SELECT * FROM orders ORDER BY order_id LIMIT 50"


def test_empty_statement_is_refused() -> None:
    with pytest.raises(SqlRefused, match="empty"):
        guard("  -- nothing here\n ")


def test_unparseable_statement_is_refused_with_the_parser_message() -> None:
    with pytest.raises(SqlRefused, match="not valid duckdb SQL"):
        guard("SELECT FROM WHERE (")


def test_table_allow_list_refuses_other_tables() -> None:
    policy = GuardPolicy.build(allowed_tables=["stores", "orders"])
    guard("SELECT * FROM stores JOIN orders USING (store_id)", policy=policy)
    guard("WITH customers AS (SELECT 1 AS id) SELECT * FROM customers", policy=policy)
    guard("SELECT * FROM main.stores", policy=policy)
    with pytest.raises(SqlRefused, match="customers"):
        guard("SELECT * FROM customers", policy=policy)
    with pytest.raises(SqlRefused, match=r"other\.stores"):
        guard("SELECT * FROM other.stores", policy=policy)


def test_allow_listed_function_passes_on_that_engine_only() -> None:
    sql = "SELECT * FROM read_parquet('/data/shared/x.parquet')"
    guard(sql, policy=GuardPolicy.build(allowed_functions=["read_parquet"]))
    with pytest.raises(SqlRefused, match="read_parquet"):
        guard(sql)


def test_unknown_table_function_is_refused() -> None:
    with pytest.raises(SqlRefused, match=r"Table function my_udtf\(\)"):
        guard("SELECT * FROM my_udtf(1)")


def test_duckdb_sql_is_transpiled_for_spark() -> None:
    sql = (
        "SELECT date_trunc('month', o.order_date) AS month, SUM(oi.sales)::DECIMAL(18, 2) AS s "
        "FROM order_items oi JOIN orders o ON oi.order_id = o.order_id "
        "WHERE year(o.order_date) = 2023 GROUP BY 1 ORDER BY 1"
    )
    spark = transpile(sql, source="duckdb", target="spark")
    assert "DATE_TRUNC('MONTH'" in spark.upper()
    assert "CAST(" in spark.upper()
    statement = guard(sql, dialect="duckdb", target="spark", max_rows=5)
    assert statement.dialect == "spark"
    assert statement.sql.endswith("LIMIT 6")
    assert sqlglot.parse_one(statement.sql, read="spark") is not None


def test_statement_is_checked_in_its_source_dialect() -> None:
    # Spark's backtick identifiers parse in Spark SQL, not in DuckDB.
    tree = check_statement("SELECT `region` FROM stores", dialect="spark")
    assert tree.sql(dialect="duckdb") == 'SELECT "region" FROM stores'
    with pytest.raises(SqlRefused):
        check_statement("SELECT `region` FROM stores", dialect="duckdb")


SPARK_HOSTILE = [
    ("SELECT * FROM parquet.`/etc/data`", "/etc/data"),
    ("SELECT * FROM json.`s3://bucket/x`", "s3://bucket/x"),
    ("SELECT java_method('java.lang.Runtime', 'getRuntime')", "java_method"),
    ("SELECT reflect('java.lang.System', 'exit', 0)", "reflect"),
    ("SELECT input_file_name() FROM orders", "input_file_name"),
    ("SELECT * FROM read_files('/data')", "read_files"),
    ("ADD JAR /tmp/evil.jar", "ADD JAR"),
    ("CREATE TEMPORARY FUNCTION f AS 'x.Y' USING JAR '/tmp/x.jar'", "CREATE FUNCTION"),
    ("SET spark.sql.ansi.enabled = false", "SET"),
    ("CACHE TABLE orders", "CACHE TABLE"),
    ("MSCK REPAIR TABLE orders", "MSCK"),
    ("INSERT OVERWRITE DIRECTORY '/tmp/out' SELECT * FROM orders", "INSERT"),
    ("LIST FILE", "LIST"),
    ("SHOW TABLES", "SHOW"),
]


@pytest.mark.parametrize(("sql", "construct"), SPARK_HOSTILE, ids=[s for s, _c in SPARK_HOSTILE])
def test_spark_hostile_statement_is_refused(sql: str, construct: str) -> None:
    with pytest.raises(SqlRefused) as refused:
        guard(sql, dialect="spark")
    assert construct.lower() in refused.value.message.lower()


def test_refusal_names_what_is_being_created() -> None:
    with pytest.raises(SqlRefused, match=r"^CREATE VIEW is not allowed"):
        guard("CREATE VIEW v AS SELECT 1")
    with pytest.raises(SqlRefused, match=r"^DROP TABLE is not allowed"):
        guard("DROP TABLE orders")

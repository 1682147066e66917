"""What the grounding text says about a catalog: columns with roles, synonyms and samples, joins
with their conditions, metric definitions; on a big catalog only the tables a question is about
(and the tables joining them) are described, the others named."""

from __future__ import annotations

from chat.agent import grounding
from executors.catalog.model import (
    Metric,
    Relationship,
    SemanticCatalog,
    SemanticColumn,
    SemanticTable,
)


def _column(name: str, role: str = "dimension", **extra: object) -> SemanticColumn:
    return SemanticColumn(name=name, type="VARCHAR", role=role, label=name, **extra)  # type: ignore[arg-type]


def _catalog(extra_tables: int = 0) -> SemanticCatalog:
    tables = [
        SemanticTable(
            name="orders",
            label="orders",
            row_count=1200,
            columns=[
                _column("order_id", "identifier"),
                _column("status", sample_values=["Completed", "Returned"], synonyms=["state"]),
                _column("shop_id", "identifier"),
            ],
        ),
        SemanticTable(
            name="shops",
            label="shops",
            columns=[
                _column("shop_id", "identifier"),
                _column("city", "geography", sample_values=["Berlin", "Oslo"]),
            ],
        ),
    ]
    tables += [
        SemanticTable(name=f"audit_{i}", label=f"audit {i}", columns=[_column(f"event_{i}")])
        for i in range(extra_tables)
    ]
    return SemanticCatalog(
        engine="local",
        dialect="duckdb",
        tables=tables,
        relationships=[
            Relationship(
                from_table="orders", from_column="shop_id", to_table="shops", to_column="shop_id"
            )
        ],
        metrics=[
            Metric(
                name="return rate",
                expression="COUNT(*) FILTER (WHERE status = 'Returned') / COUNT(*)",
                table="orders",
                synonyms=["returns share"],
                format="percent",
            )
        ],
    )


def test_the_text_carries_roles_synonyms_samples_joins_and_metrics() -> None:
    text = grounding.catalog_text(_catalog(), send_samples=True, budget=12)
    assert "- orders [1,200 rows]" in text
    assert "status VARCHAR -- dimension; also called state; values: Completed, Returned" in text
    assert "city VARCHAR -- geography; values: Berlin, Oslo" in text
    assert "- orders.shop_id = shops.shop_id (many to one)" in text
    assert (
        "- return rate (also: returns share) = COUNT(*) FILTER (WHERE status = 'Returned') " in text
    )


def test_without_samples_no_value_is_written() -> None:
    text = grounding.catalog_text(_catalog(), send_samples=False, budget=12)
    assert "Berlin" not in text and "Completed" not in text
    assert "orders.shop_id = shops.shop_id" in text


def test_a_big_catalog_is_trimmed_to_the_tables_the_question_is_about() -> None:
    catalog = _catalog(extra_tables=30)
    text = grounding.catalog_text(
        catalog, question="What is the return rate by city?", send_samples=True, budget=3
    )
    assert "- orders" in text and "- shops" in text  # the metric's table and the one it joins
    assert "event_7" not in text
    assert "Other tables (call describe_table for their columns): audit_0, audit_1" in text
    described = grounding.describe(catalog, "audit_7", send_samples=True)
    assert described is not None and "event_7 VARCHAR" in described

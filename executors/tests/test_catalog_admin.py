"""Curators edit the semantic catalog in Django admin: column and table notes, metrics and
relationships; every save keeps a version and shows in the catalog every process reads; the
semantic model is exported and imported (dry run first) from admin. Nobody else gets in."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.roles import ANALYST, CURATOR
from executors import demo_data
from executors.catalog import selectors, services
from executors.models import Catalog, CatalogMetric, CatalogRelationship, CatalogTable


def _staff(django_user_model: Any, username: str, role: str) -> Client:
    user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalog(db: None, executor_settings: Any) -> Catalog:
    return services.refresh_catalog("local")


@pytest.fixture
def curator_client(django_user_model: Any) -> Client:
    return _staff(django_user_model, "curie", CURATOR)


def _form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back for the change form as rendered."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = field.prepare_value(bound.value())
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = value
    return data


def test_curator_edits_column_notes_and_every_process_sees_a_new_version(
    catalog: Catalog, curator_client: Client
) -> None:
    before = selectors.semantic_catalog("local")  # this process has it cached now
    table = CatalogTable.objects.get(catalog=catalog, name="order_items")
    url = f"/admin/executors/catalogtable/{table.pk}/change/"
    page = curator_client.get(url)
    assert page.status_code == 200
    assert "profiled as" in page.content.decode().lower()
    data = _form_data(page)
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and str(value) == str(table.columns.get(name="sales").pk)
    )
    data[f"columns-{index}-synonyms"] = "revenue, turnover"
    data[f"columns-{index}-description"] = "Net revenue of the line."
    data[f"columns-{index}-format"] = "currency"
    cost = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and str(value) == str(table.columns.get(name="cost").pk)
    )
    data[f"columns-{cost}-hidden"] = "on"
    data["description"] = "One row per order line."
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    after = selectors.semantic_catalog("local")
    assert after.revision > before.revision
    items = after.table("order_items")
    assert items is not None and items.description == "One row per order line."
    sales = next(c for c in items.columns if c.name == "sales")
    assert sales.synonyms == ["revenue", "turnover"] and sales.format == "currency"
    assert sales.description == "Net revenue of the line."
    assert "cost" not in {c.name for c in items.columns}  # hidden from models and the portal
    catalog.refresh_from_db()
    assert catalog.version == 1
    version = catalog.versions.get()
    assert version.author is not None and version.author.username == "curie"
    notes = version.document["tables"]["order_items"]
    assert notes["columns"]["sales"]["synonyms"] == ["revenue", "turnover"]
    assert notes["columns"]["cost"]["hidden"] is True


def test_curator_adds_a_metric_and_a_relationship(catalog: Catalog, curator_client: Client) -> None:
    response = curator_client.post(
        "/admin/executors/catalogmetric/add/",
        {
            "catalog": catalog.pk,
            "name": "return rate",
            "expression": "COUNT(DISTINCT order_id) FILTER (WHERE status = 'Returned') "
            "/ COUNT(DISTINCT order_id)",
            "table": "orders",
            "synonyms": "share of orders returned",
            "description": "",
            "format": "percent",
        },
    )
    assert response.status_code == 302
    response = curator_client.post(
        "/admin/executors/catalogrelationship/add/",
        {
            "catalog": catalog.pk,
            "from_table": "customers",
            "from_column": "customer_id",
            "to_table": "orders",
            "to_column": "customer_id",
            "cardinality": "one_to_many",
        },
    )
    assert response.status_code == 302
    effective = selectors.semantic_catalog("local")
    (metric,) = effective.metrics
    assert metric.name == "return rate" and metric.synonyms == ["share of orders returned"]
    assert any(
        r.join_condition == "customers.customer_id = orders.customer_id" and r.origin == "curated"
        for r in effective.relationships
    )
    catalog.refresh_from_db()
    assert catalog.version == 2


def test_a_metric_that_is_not_sql_is_refused(catalog: Catalog, curator_client: Client) -> None:
    response = curator_client.post(
        "/admin/executors/catalogmetric/add/",
        {"catalog": catalog.pk, "name": "m", "expression": "SUM(", "table": "orders",
         "format": "number"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Not valid SQL" in response.content.decode()
    assert not CatalogMetric.objects.exists()


def test_deleting_an_inferred_relationship_keeps_it_away(
    catalog: Catalog, curator_client: Client
) -> None:
    declared = CatalogRelationship.objects.get(
        catalog=catalog, from_table="orders", from_column="store_id"
    )
    url = f"/admin/executors/catalogrelationship/{declared.pk}/delete/"
    assert curator_client.post(url, {"post": "yes"}).status_code == 302
    services.refresh_catalog("local")
    joins = {r.join_condition for r in selectors.semantic_catalog("local").relationships}
    assert "orders.store_id = stores.store_id" not in joins
    assert "orders.customer_id = customers.customer_id" in joins


def test_export_action_and_import_page(catalog: Catalog, curator_client: Client) -> None:
    page = curator_client.post(
        "/admin/executors/catalog/import/",
        {
            "engine": "local",
            "file": SimpleUploadedFile("demo.yaml", demo_data.CATALOG_PATH.read_bytes()),
        },
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "+ metrics.margin.expression" in body and "Confirm import" in body
    catalog.refresh_from_db()
    assert catalog.version == 0  # a dry run

    confirm = curator_client.post(
        "/admin/executors/catalog/import/",
        {"engine": "local", "confirm": "1", "text": demo_data.CATALOG_PATH.read_text()},
    )
    assert confirm.status_code == 302
    assert {m.name for m in selectors.semantic_catalog("local").metrics} >= {"margin", "orders"}

    export = curator_client.post(
        "/admin/executors/catalog/",
        {"action": "export_yaml", "_selected_action": [catalog.pk]},
    )
    assert export.status_code == 200
    assert export["Content-Type"] == "application/yaml"
    assert b"name: average order value" in export.content

    bad = curator_client.post(
        "/admin/executors/catalog/import/",
        {"engine": "local", "file": SimpleUploadedFile("bad.yaml", b"tables: {x: {colour: 1}}")},
    )
    assert "Extra inputs are not permitted" in bad.content.decode()


def test_only_curators_open_the_catalog_admin(catalog: Catalog, django_user_model: Any) -> None:
    analyst = _staff(django_user_model, "anna", ANALYST)
    assert analyst.get("/admin/executors/catalogtable/").status_code == 403
    assert analyst.get("/admin/executors/catalog/import/").status_code == 403

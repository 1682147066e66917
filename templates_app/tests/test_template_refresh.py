"""Refresh runs the template's SQL through the guard and returns a new result for the caller."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User

from executors.models import QueryResult
from templates_app.models import Template
from templates_app.tests.conftest import client_for, error_of


def test_viewer_refreshes_a_published_template_and_reads_the_new_result(
    analyst: User, viewer: User, make_template: Callable[..., Template], engines: None
) -> None:
    template = make_template(owner=analyst, status="published")
    client = client_for(viewer)
    response = client.post(f"/api/templates/{template.pk}/refresh")
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["row_count"] == 3 and result["truncated"] is False
    assert [c["name"] for c in result["columns"]] == ["region", "sales"]
    assert result["url"] == f"/api/data/{result['id']}"
    assert QueryResult.objects.get(pk=result["id"]).owner == viewer
    data = client.get(result["url"]).json()
    assert data["rows"] == [["Asia Pacific", 7.25], ["Europe", 12.5], ["North America", 30.0]]
    template.refresh_from_db()
    assert template.version == 1


def test_refresh_of_a_template_with_refused_sql_runs_nothing(
    analyst: User, make_template: Callable[..., Template], engines: None
) -> None:
    template = make_template(owner=analyst)
    # A row written before the guard existed, or by hand: refresh still guards it.
    Template.objects.filter(pk=template.pk).update(generated_sql="DROP TABLE region_sales")
    response = client_for(analyst).post(f"/api/templates/{template.pk}/refresh")
    assert response.status_code == 400
    assert response.json()["code"] == "sql_refused"
    assert not QueryResult.objects.exists()


def test_a_template_can_only_point_at_results_its_author_can_read(
    analyst: User,
    make_user: Callable[..., User],
    make_template: Callable[..., Template],
    engines: None,
) -> None:
    from executors import services as executors_services
    from templates_app.tests.conftest import send_json, template_fields

    other = make_user("other", "Analyst")
    theirs = executors_services.execute_query("SELECT 1 AS x", engine_name="local", owner=other)
    mine = executors_services.execute_query("SELECT 2 AS x", engine_name="local", owner=analyst)
    client = client_for(analyst)
    template = make_template(owner=analyst)
    url = f"/api/templates/{template.pk}"
    stolen = send_json(client, "patch", url, {"data_url": theirs.url, "version": 1})
    assert error_of(stolen) == (422, "invalid_template")
    assert stolen.json()["message"] == "data_url must point at a result you can read"
    created = send_json(client, "post", "/api/templates", template_fields(data_url=theirs.url))
    assert error_of(created) == (422, "invalid_template")
    own = send_json(client, "patch", url, {"data_url": mine.url, "version": 1})
    assert own.status_code == 200 and own.json()["data_url"] == mine.url
    assert Template.objects.filter(result_id=theirs.id).count() == 0

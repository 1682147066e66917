"""Saving, listing, reading and changing templates through /api/templates."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User

from templates_app.models import Template
from templates_app.tests.conftest import UI_CODE, client_for, error_of, send_json, template_fields


def test_analyst_saves_a_template_from_a_full_body(analyst: User) -> None:
    body = {k: v for k, v in template_fields().items() if k != "data_url"}
    body |= {"description": "Quarterly view", "tags": ["sales", "regions"]}
    response = send_json(client_for(analyst), "post", "/api/templates", body)
    assert response.status_code == 201, response.content
    saved = response.json()
    assert saved["owner"] == "ana" and saved["can_edit"] is True and saved["version"] == 1
    assert saved["status"] == "draft" and saved["visibility"] == "private"
    assert response.headers["ETag"] == '"1"'
    template = Template.objects.get(pk=saved["id"])
    assert template.tags == ["sales", "regions"]
    assert template.versions.get().change == "created"


def test_analyst_saves_a_template_from_a_chat_run(
    analyst: User, run_source: dict[Any, Any]
) -> None:
    run_id, conversation_id, result_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    run_source[run_id] = (
        analyst,
        {
            "prompt": "Show sales by region",
            "generated_sql": "SELECT 1 AS x",
            "ui_code": UI_CODE,
            "parameters": {"title": "Sales", "chart_type": "bar"},
            "engine": "local",
            "result_id": str(result_id),
            "conversation_id": str(conversation_id),
        },
    )
    response = send_json(
        client_for(analyst),
        "post",
        "/api/templates",
        {"run_id": str(run_id), "title": "From chat", "tags": ["chat"]},
    )
    assert response.status_code == 201, response.content
    saved = response.json()
    assert saved["data_url"] == f"/api/data/{result_id}"
    assert saved["data_source"] == "duckdb" and saved["engine"] == "local"
    assert saved["source_run_id"] == str(run_id)
    assert saved["source_conversation_id"] == str(conversation_id)
    assert Template.objects.get(pk=saved["id"]).result_id == str(result_id)


def test_a_run_saved_with_tuned_parameters_is_one_version(
    analyst: User, run_source: dict[Any, Any]
) -> None:
    run_id = uuid.uuid4()
    run_source[run_id] = (
        analyst,
        {
            "prompt": "Show sales by region",
            "generated_sql": "SELECT 1 AS x",
            "ui_code": UI_CODE,
            "parameters": {"values": {"title": "Sales", "chart_type": "bar"}, "controls": []},
            "engine": "local",
        },
    )
    tuned = {"values": {"title": "Sales, tuned", "chart_type": "line"}, "controls": []}
    response = send_json(
        client_for(analyst),
        "post",
        "/api/templates",
        {"run_id": str(run_id), "title": "Tuned", "parameters": tuned},
    )
    assert response.status_code == 201, response.content
    saved = response.json()
    assert saved["version"] == 1
    assert saved["parameters"] == tuned
    assert Template.objects.get(pk=saved["id"]).versions.count() == 1


def test_saving_someone_elses_or_an_unknown_run_is_404(
    analyst: User, make_user: Callable[..., User], run_source: dict[Any, Any]
) -> None:
    other = make_user("other", "Analyst")
    run_id = uuid.uuid4()
    run_source[run_id] = (other, {"prompt": "x", "generated_sql": "SELECT 1", "ui_code": UI_CODE})
    for wanted in (run_id, uuid.uuid4()):
        response = send_json(
            client_for(analyst), "post", "/api/templates", {"run_id": str(wanted), "title": "t"}
        )
        assert response.status_code == 404
        assert response.json() == {"code": "run_not_found", "message": "run not found"}
    assert not Template.objects.exists()


def test_saving_from_a_run_without_a_registered_source_is_404(analyst: User) -> None:
    from templates_app import run_sources

    previous, run_sources._lookup = run_sources._lookup, None
    try:
        response = send_json(
            client_for(analyst),
            "post",
            "/api/templates",
            {"run_id": str(uuid.uuid4()), "title": "t"},
        )
    finally:
        run_sources._lookup = previous
    assert error_of(response) == (404, "run_not_found")


def test_viewer_cannot_save_templates(viewer: User) -> None:
    body = template_fields()
    response = send_json(client_for(viewer), "post", "/api/templates", body)
    assert error_of(response) == (403, "forbidden")
    assert not Template.objects.exists()


def test_saving_refused_sql_or_code_without_default_export_is_422(analyst: User) -> None:
    client = client_for(analyst)
    bad_sql = template_fields(generated_sql="COPY region_sales TO '/tmp/x.csv'")
    response = send_json(client, "post", "/api/templates", bad_sql)
    assert error_of(response) == (422, "invalid_template")
    assert "COPY is not allowed" in response.json()["message"]
    bad_code = template_fields(ui_code="function Viz() { return null }")
    response = send_json(client, "post", "/api/templates", bad_code)
    assert error_of(response) == (422, "invalid_template")
    assert "default-export" in response.json()["message"]
    assert not Template.objects.exists()


def test_list_searches_title_prompt_and_tags(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    make_template(owner=analyst, title="Revenue trend", prompt="monthly revenue", tags=["finance"])
    make_template(owner=analyst, title="Top products", prompt="best sellers", tags=["catalog"])
    make_template(owner=analyst, title="Stores", prompt="stores per country", tags=["Finance-EU"])
    make_template(owner=analyst, title="Cafés", prompt="coffee", tags=["café"])
    client = client_for(analyst)

    def titles(query: str) -> list[str]:
        response = client.get(f"/api/templates?{query}")
        assert response.status_code == 200, response.content
        return sorted(item["title"] for item in response.json()["items"])

    assert titles("q=revenue") == ["Revenue trend"]
    assert titles("q=SELLERS") == ["Top products"]
    assert titles("q=finance") == ["Revenue trend", "Stores"]
    assert titles("tag=finance") == ["Revenue trend"]
    assert titles("q=café") == ["Cafés"]
    assert titles("q=afé") == ["Cafés"]
    assert titles("tag=café") == ["Cafés"]


def test_list_filters_mine_shared_featured_status_and_data_source(
    analyst: User, make_user: Callable[..., User], make_template: Callable[..., Template]
) -> None:
    from templates_app.tests.conftest import share

    other = make_user("other", "Analyst")
    make_template(owner=analyst, title="mine draft")
    make_template(owner=analyst, title="mine spark", data_source="spark", engine="spark")
    shared = make_template(owner=other, title="shared with me", visibility="shared")
    share(shared, analyst)
    make_template(owner=other, title="featured", status="published", featured=True)
    client = client_for(analyst)

    def titles(query: str) -> list[str]:
        return sorted(
            item["title"] for item in client.get(f"/api/templates?{query}").json()["items"]
        )

    assert titles("") == ["featured", "mine draft", "mine spark", "shared with me"]
    assert titles("mine=true") == ["mine draft", "mine spark"]
    assert titles("shared=true") == ["shared with me"]
    assert titles("featured=true") == ["featured"]
    assert titles("status=published") == ["featured"]
    assert titles("data_source=spark") == ["mine spark"]


def test_list_paginates_and_orders(analyst: User, make_template: Callable[..., Template]) -> None:
    for name in ("b", "d", "a", "c", "e"):
        make_template(owner=analyst, title=name)
    client = client_for(analyst)
    first = client.get("/api/templates?ordering=title&page_size=2").json()
    second = client.get("/api/templates?ordering=title&page_size=2&page=2").json()
    last = client.get("/api/templates?ordering=-title&page_size=2&page=3").json()
    assert [i["title"] for i in first["items"]] == ["a", "b"]
    assert [i["title"] for i in second["items"]] == ["c", "d"]
    assert [i["title"] for i in last["items"]] == ["a"]
    assert first["total"] == 5 and first["page_size"] == 2
    newest = client.get("/api/templates").json()["items"]
    assert [i["title"] for i in newest] == ["e", "c", "a", "d", "b"]
    assert error_of(client.get("/api/templates?ordering=owner__password")) == (
        422,
        "invalid_request",
    )


def test_get_tells_a_viewer_it_is_read_only(
    analyst: User, viewer: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst, status="published")
    body = client_for(viewer).get(f"/api/templates/{template.pk}").json()
    assert body["can_edit"] is False and body["can_share"] is False
    assert body["owner"] == "ana"
    assert body["parameters"]["chart_type"] == "bar"


def test_patch_changes_content_and_bumps_the_version(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    response = send_json(
        client_for(analyst),
        "patch",
        f"/api/templates/{template.pk}",
        {"parameters": {"chart_type": "line"}, "tags": ["x"]},
        **{"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    template.refresh_from_db()
    assert template.parameters == {"chart_type": "line"} and template.tags == ["x"]


def test_patch_without_a_version_is_428(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    response = send_json(
        client_for(analyst), "patch", f"/api/templates/{template.pk}", {"title": "x"}
    )
    assert error_of(response) == (428, "version_required")
    assert response.json()["detail"] == {"current_version": 1}


def test_patch_ignores_nulls_and_refuses_invalid_content(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    client = client_for(analyst)
    url = f"/api/templates/{template.pk}"
    unchanged = send_json(client, "patch", url, {"prompt": None, "title": None, "version": 1})
    assert unchanged.status_code == 200 and unchanged.json()["version"] == 1
    response = send_json(client, "patch", url, {"generated_sql": "ATTACH 'x.db'", "version": 1})
    assert error_of(response) == (422, "invalid_template")
    response = send_json(client, "patch", url, {"data_url": "https://evil.example/x", "version": 1})
    assert error_of(response) == (422, "invalid_template")
    template.refresh_from_db()
    assert template.version == 1 and template.generated_sql.startswith("SELECT")


def test_shares_replace_the_list_and_make_a_private_template_shared(
    analyst: User, viewer: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    client = client_for(analyst)
    url = f"/api/templates/{template.pk}/shares"
    response = send_json(
        client, "put", url, {"shares": [{"user": "vic"}, {"group": "Analyst", "role": "editor"}]}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "visibility": "shared",
        "shares": [
            {"user": "vic", "group": None, "role": "viewer"},
            {"user": None, "group": "Analyst", "role": "editor"},
        ],
    }
    assert client_for(viewer).get(f"/api/templates/{template.pk}").status_code == 200
    response = send_json(client, "put", url, {"shares": [{"user": "nobody-here"}]})
    assert error_of(response) == (422, "invalid_shares")
    assert "nobody-here" in response.json()["message"]
    assert send_json(client, "put", url, {"shares": []}).json()["shares"] == []
    assert error_of(client_for(viewer).get(f"/api/templates/{template.pk}")) == (404, "not_found")


def test_delete_removes_template_with_history(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    from templates_app.models import TemplateVersion

    template = make_template(owner=analyst)
    assert client_for(analyst).delete(f"/api/templates/{template.pk}").status_code == 204
    assert not Template.objects.exists() and not TemplateVersion.objects.exists()
    assert error_of(client_for(analyst).get(f"/api/templates/{template.pk}")) == (
        404,
        "not_found",
    )


def test_a_shares_body_that_is_not_an_object_is_422_and_changes_nothing(
    analyst: User, viewer: User, make_template: Callable[..., Template]
) -> None:
    from templates_app.tests.conftest import share

    template = make_template(owner=analyst, visibility="shared")
    share(template, viewer)
    url = f"/api/templates/{template.pk}/shares"
    client = client_for(analyst)
    for body in ("null", "123", '"x"', "[]"):
        response = client.put(url, data=body, content_type="application/json")
        assert error_of(response) == (422, "invalid_request"), body
    assert client.get(url).json()["shares"] == [{"user": "vic", "group": None, "role": "viewer"}]


def test_a_record_in_the_template_format_is_saved_with_its_parameters_title(
    analyst: User,
) -> None:
    from templates_app.tests.conftest import record

    seed = record(parameters={"title": "Sales by Region", "chart_type": "bar"})
    response = send_json(client_for(analyst), "post", "/api/templates", seed)
    assert response.status_code == 201, response.content
    saved = response.json()
    assert saved["title"] == "Sales by Region"
    assert saved["prompt"] == seed["prompt"] and saved["generated_sql"] == seed["generated_sql"]
    assert saved["id"] != seed["id"]  # a new template, not the record's

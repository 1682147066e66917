"""Export gives the spec's format; export -> import into an empty database -> export is exact."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command

from templates_app import services
from templates_app.importer import import_templates
from templates_app.models import Template, TemplateShare, TemplateVersion
from templates_app.selectors import export_json
from templates_app.tests.conftest import client_for

SPEC_FIELDS = [
    "id",
    "prompt",
    "generated_sql",
    "ui_code",
    "parameters",
    "data_source",
    "data_url",
    "created_at",
    "updated_at",
]


def _variety(owner: User, make_template: Callable[..., Template]) -> list[Template]:
    plain = make_template(owner=owner)
    rich = make_template(
        owner=owner,
        title="Umsatz nach Region — 2024 ✓",
        description="multi\nline",
        tags=["sales", "é"],
        parameters={"title": "x", "nested": {"list": [1, 2.5, None, True]}, "top_n": 5},
        data_url="/api/data/2f1e0a6c-6d1e-4d38-9d5e-2ad4b7c1f001",
        status="published",
        featured=True,
        visibility="organization",
    )
    spark = make_template(
        owner=owner,
        data_source="spark",
        engine="spark",
        generated_sql="SELECT region, SUM(sales) AS s FROM region_sales GROUP BY region",
    )
    services.update_template(rich.pk, owner, {"prompt": "changed"}, expected_version=1)
    return [plain, rich, spark]


def _empty_database() -> None:
    TemplateShare.objects.all().delete()
    TemplateVersion.objects.all().delete()
    Template.objects.all().delete()


def test_export_is_a_json_array_with_the_spec_fields_first(
    analyst: User, make_template: Callable[..., Template]
) -> None:
    template = make_template(owner=analyst)
    response = client_for(analyst).get(f"/api/templates/export?ids={template.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    exported = response.json()
    assert isinstance(exported, list) and len(exported) == 1
    assert list(exported[0])[: len(SPEC_FIELDS)] == SPEC_FIELDS
    assert exported[0]["data_url"] is None and exported[0]["data_source"] == "duckdb"
    assert exported[0]["created_at"].endswith("Z")


def test_export_import_export_is_exact(
    curator: User, make_template: Callable[..., Template]
) -> None:
    _variety(curator, make_template)
    first = export_json(Template.objects.all())
    _empty_database()
    report = import_templates(first.encode(), owner=curator)
    assert report.ok and report.created == 3, report
    second = export_json(Template.objects.all())
    assert second == first
    assert json.loads(second)[1]["title"] == "Umsatz nach Region — 2024 ✓"


def test_commands_round_trip_exactly(
    tmp_path: Path, curator: User, make_template: Callable[..., Template]
) -> None:
    _variety(curator, make_template)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    call_command("export_templates", "--output", str(first), stderr=io.StringIO())
    _empty_database()
    call_command("import_templates", str(first), "--owner", curator.username, stdout=io.StringIO())
    call_command("export_templates", "--output", str(second), stderr=io.StringIO())
    assert second.read_bytes() == first.read_bytes()
    out = io.StringIO()
    call_command("export_templates", "--status", "published", stdout=out)
    assert [r["status"] for r in json.loads(out.getvalue())] == ["published"]

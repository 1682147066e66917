"""Bulk import: JSON array, NDJSON and zip; all-or-nothing with a report naming every bad record;
hostile records refused with a reason; idempotent re-import; on-conflict behaviour; limits."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from templates_app.importer import import_templates
from templates_app.models import Template, TemplateVersion
from templates_app.schemas import ImportReportOut
from templates_app.tests.conftest import UI_CODE, client_for, error_of, record

pytestmark = pytest.mark.django_db


def as_array(records: list[Any]) -> bytes:
    return json.dumps(records).encode()


def as_ndjson(records: list[Any]) -> bytes:
    return b"\n".join(json.dumps(r).encode() for r in records) + b"\n"


def as_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def reasons_of(report: ImportReportOut) -> list[str]:
    return [reason for r in report.records for reason in r.reasons] + report.file_errors


def test_a_json_array_is_imported(curator: User) -> None:
    records = [record(), record(title="Second", tags=["a"], status="published")]
    report = import_templates(as_array(records), owner=curator, actor=curator)
    assert report.ok and report.written, report
    assert (report.created, report.invalid) == (2, 0)
    second = Template.objects.get(pk=records[1]["id"])
    assert (second.title, second.tags, second.status, second.owner) == (
        "Second",
        ["a"],
        "published",
        curator,
    )
    first = Template.objects.get(pk=records[0]["id"])
    assert first.title == "Sales by Region"  # from parameters.title when the record has none
    assert first.created_at.isoformat() == "2024-01-01T00:00:00+00:00"
    assert TemplateVersion.objects.filter(change="imported").count() == 2


def test_ndjson_is_imported(curator: User) -> None:
    records = [record() for _ in range(3)]
    report = import_templates(as_ndjson(records), owner=curator)
    assert report.ok and report.created == 3
    assert [r.source for r in report.records] == ["line 1", "line 2", "line 3"]
    assert Template.objects.count() == 3


def test_a_zip_of_array_and_ndjson_files_is_imported(curator: User) -> None:
    one, two, three = record(), record(), record()
    data = as_zip({"a/first.json": as_array([one]), "b/rest.ndjson": as_ndjson([two, three])})
    report = import_templates(data, filename="templates.zip", owner=curator)
    assert report.ok and report.created == 3, report
    assert [r.index for r in report.records] == [0, 1, 2]
    assert report.records[2].source == "b/rest.ndjson:2"
    assert set(Template.objects.values_list("pk", flat=True)) == {
        uuid.UUID(r["id"]) for r in (one, two, three)
    }


def test_one_bad_record_among_500_writes_nothing_and_is_named(curator: User) -> None:
    records = [record(prompt=f"question {i}") for i in range(500)]
    records[317]["generated_sql"] = "DELETE FROM orders"
    report = import_templates(as_array(records), owner=curator)
    assert not report.ok and not report.written
    assert report.invalid == 1
    bad = [r for r in report.records if r.action == "invalid"]
    assert [(r.index, r.id) for r in bad] == [(317, records[317]["id"])]
    assert "DELETE is not allowed" in bad[0].reasons[0]
    assert "1 of 500 records are invalid" in report.message
    assert not Template.objects.exists() and not TemplateVersion.objects.exists()


TEN_MB = 10 * 1024 * 1024
HOSTILE: dict[str, tuple[dict[str, Any], str]] = {
    "copy": ({"generated_sql": "COPY orders TO '/tmp/stolen.csv'"}, "COPY is not allowed"),
    "attach": ({"generated_sql": "ATTACH '/tmp/evil.duckdb' AS evil"}, "ATTACH is not allowed"),
    "file read": ({"generated_sql": "SELECT * FROM read_csv('/etc/passwd')"}, "read_csv"),
    "stacked": ({"generated_sql": "SELECT 1; DROP TABLE orders"}, "Multiple statements"),
    "10 MB code": ({"ui_code": UI_CODE + "//" + "x" * TEN_MB}, "ui_code is 10"),
    "no default export": ({"ui_code": "function Viz() { return null }"}, "default-export"),
    "prompt number": ({"prompt": 123}, "prompt: Input should be a valid string"),
    "parameters array": ({"parameters": [1, 2]}, "parameters: Input should be a valid dictionary"),
    "featured string": ({"featured": "yes"}, "featured: Input should be a valid boolean"),
    "timestamp number": ({"created_at": 1704067200}, "ISO 8601"),
    "naive timestamp": ({"created_at": "2024-01-01T00:00:00"}, "time zone"),
    "unknown data_source": ({"data_source": "postgres"}, "data_source: Input should be"),
    "unknown field": ({"owner_id": 1}, "owner_id: unknown field"),
    "bad id": ({"id": "not-a-uuid"}, "id: Input should be a valid UUID"),
    "foreign data_url": ({"data_url": "https://evil.example/x"}, "data_url must be null"),
    "deep parameters": ({"parameters": json.loads('{"a":' * 60 + "1" + "}" * 60)}, "nested"),
    "huge parameters": ({"parameters": {"x": "y" * 100_000}}, "parameters are"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_record_is_refused_with_a_reason(case: str, curator: User) -> None:
    overrides, reason = HOSTILE[case]
    good, bad = record(), record(**overrides)
    report = import_templates(as_array([good, bad]), owner=curator)
    assert not report.ok and not report.written
    assert report.records[0].action == "create"
    assert report.records[1].action == "invalid"
    assert any(reason in r for r in report.records[1].reasons), report.records[1].reasons
    assert not Template.objects.exists()


def test_a_record_that_is_not_an_object_is_refused(curator: User) -> None:
    report = import_templates(as_array([record(), ["not", "an", "object"], "text"]))
    assert [r.action for r in report.records] == ["create", "invalid", "invalid"]
    assert "must be a JSON object" in report.records[1].reasons[0]


def test_duplicate_ids_in_one_file_are_refused(curator: User) -> None:
    first = record()
    second = record(id=first["id"], prompt="another")
    report = import_templates(as_ndjson([first, second]), owner=curator)
    assert not report.ok
    assert report.records[1].reasons == ["duplicate id: the same id is at index 0"]
    assert not Template.objects.exists()


def test_invalid_utf8_in_an_ndjson_line_names_the_line(curator: User) -> None:
    data = as_ndjson([record()]) + b'{"prompt": "caf\xe9"}\n'
    report = import_templates(data, owner=curator)
    assert not report.ok
    assert report.records[1].source == "line 2"
    assert "not valid UTF-8" in report.records[1].reasons[0]
    assert not Template.objects.exists()


def test_invalid_utf8_in_a_json_array_refuses_the_file(curator: User) -> None:
    data = as_array([record()]).replace(b"Show", b"Sh\xffw")
    report = import_templates(data, owner=curator)
    assert not report.ok and "not valid UTF-8" in report.file_errors[0]
    assert not Template.objects.exists()


def test_json_nested_beyond_the_parser_is_refused(curator: User) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    report = import_templates(deep, owner=curator)
    assert not report.ok and "nested too deeply" in report.file_errors[0]
    line = b'{"parameters": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n"
    report = import_templates(as_ndjson([record()]) + line, owner=curator)
    assert not report.ok and "nested too deeply" in report.records[1].reasons[0]
    assert not Template.objects.exists()


def test_files_over_the_size_or_record_limit_are_refused(curator: User, settings: Any) -> None:
    settings.VIZORCH_TEMPLATE_IMPORT_MAX_BYTES = 10_000
    report = import_templates(as_array([record() for _ in range(100)]), owner=curator)
    assert not report.ok and "the import limit is 10000 bytes" in report.file_errors[0]
    settings.VIZORCH_TEMPLATE_IMPORT_MAX_BYTES = 10_000_000
    settings.VIZORCH_TEMPLATE_IMPORT_MAX_RECORDS = 5
    report = import_templates(as_ndjson([record() for _ in range(6)]), owner=curator)
    assert not report.ok and "more than 5 records" in report.file_errors[0]
    assert not Template.objects.exists()


def test_a_zip_bomb_is_refused_by_its_expanded_size(curator: User, settings: Any) -> None:
    settings.VIZORCH_TEMPLATE_IMPORT_MAX_BYTES = 100_000
    data = as_zip({"big.json": b"[" + b" " * 1_000_000 + b"]"})
    assert len(data) < 100_000
    report = import_templates(data, filename="bomb.zip", owner=curator)
    assert not report.ok and "expands to more than" in report.file_errors[0]


def test_garbage_and_empty_files_are_refused(curator: User) -> None:
    assert "empty" in import_templates(b"  \n", owner=curator).file_errors[0]
    garbage = import_templates(b"<html>", owner=curator)
    assert not garbage.ok and "not a JSON object" in garbage.records[0].reasons[0]
    bad_zip = import_templates(b"PK\x03\x04broken", filename="x.zip", owner=curator)
    assert "not a valid zip" in bad_zip.file_errors[0]
    other_member = import_templates(as_zip({"x.exe": b"MZ"}), owner=curator)
    assert "only .json, .ndjson and .jsonl" in other_member.file_errors[0]


def test_re_importing_the_same_file_changes_nothing(curator: User) -> None:
    data = as_array([record(), record(title="t", tags=["x"]), record(data_source="spark")])
    first = import_templates(data, owner=curator, on_conflict="update")
    assert first.created == 3
    before = list(Template.objects.order_by("pk").values())
    for mode in ("skip", "update", "fail"):
        again = import_templates(data, owner=curator, on_conflict=mode)
        assert again.ok and not again.written, mode
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Template.objects.order_by("pk").values()) == before
    assert TemplateVersion.objects.count() == 3


def test_on_conflict_skip_update_and_fail(curator: User) -> None:
    original = record(title="Original")
    import_templates(as_array([original]), owner=curator)
    changed = {**original, "title": "Changed", "updated_at": "2024-06-01T00:00:00Z"}
    data = as_array([changed, record()])

    skipped = import_templates(data, owner=curator, on_conflict="skip")
    assert (skipped.ok, skipped.skipped, skipped.created) == (True, 1, 1)
    assert Template.objects.get(pk=original["id"]).title == "Original"

    failed = import_templates(as_array([changed, record()]), owner=curator, on_conflict="fail")
    assert not failed.ok
    assert "exists (on-conflict is fail)" in failed.records[0].reasons[0]
    assert Template.objects.count() == 2

    updated = import_templates(data, owner=curator, on_conflict="update")
    assert (updated.ok, updated.updated, updated.unchanged) == (True, 1, 1)
    template = Template.objects.get(pk=original["id"])
    assert (template.title, template.version) == ("Changed", 2)
    assert template.updated_at.isoformat() == "2024-06-01T00:00:00+00:00"
    assert template.versions.count() == 2


def test_dry_run_reports_each_record_and_writes_nothing(curator: User) -> None:
    existing = record()
    import_templates(as_array([existing]), owner=curator)
    report = import_templates(
        as_array([existing, record()]), owner=curator, dry_run=True, on_conflict="update"
    )
    assert report.ok and report.dry_run and not report.written
    assert [r.action for r in report.records] == ["unchanged", "create"]
    assert "Dry run" in report.message
    assert Template.objects.count() == 1


def test_api_import_by_a_curator_and_its_refusal_report(curator: User) -> None:
    client = client_for(curator)

    def upload(data: bytes, **form: Any) -> Any:
        file = io.BytesIO(data)
        file.name = "templates.ndjson"
        return client.post("/api/templates/import", {"file": file, **form})

    good = [record(), record()]
    dry = upload(as_ndjson(good), dry_run="true")
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert not Template.objects.exists()
    done = upload(as_ndjson(good))
    assert done.status_code == 200, done.content
    assert done.json()["created"] == 2
    assert Template.objects.get(pk=good[0]["id"]).owner == curator
    refused = upload(as_ndjson([record(), record(data_source="oracle")]), on_conflict="fail")
    assert error_of(refused) == (400, "import_refused")
    body = refused.json()
    assert body["code"] == "import_refused"
    assert body["detail"]["records"][1]["action"] == "invalid"
    assert Template.objects.count() == 2


def test_command_imports_with_owner_and_dry_run(
    tmp_path: Any, make_user: Callable[..., User]
) -> None:
    from django.core.management import CommandError, call_command

    owner = make_user("importer", "Curator")
    path = tmp_path / "t.json"
    path.write_bytes(as_array([record(), record()]))
    out = io.StringIO()
    call_command("import_templates", str(path), "--dry-run", stdout=out)
    assert "Dry run: 2 to create" in out.getvalue()
    assert not Template.objects.exists()
    call_command("import_templates", str(path), "--owner", "importer", stdout=out)
    assert set(Template.objects.values_list("owner", flat=True)) == {owner.pk}
    path.write_bytes(as_array([record(generated_sql="PRAGMA database_list")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_templates", str(path), stderr=err)
    assert "record 0" in err.getvalue() and "PRAGMA is not allowed" in err.getvalue()
    with pytest.raises(CommandError, match="No such user"):
        call_command("import_templates", str(path), "--owner", "ghost")


def test_an_import_never_hands_out_a_result_the_curator_may_not_read(
    curator: User, analyst: User, engines: None
) -> None:
    from executors import services as executors_services

    private = executors_services.execute_query(
        "SELECT region FROM region_sales", engine_name="local", owner=analyst
    )
    own = executors_services.execute_query(
        "SELECT region FROM region_sales", engine_name="local", owner=curator
    )
    smuggled = record(data_url=private.url, status="published")
    report = import_templates(
        as_array([record(data_url=own.url), smuggled]), owner=curator, actor=curator
    )
    assert not report.ok and not report.written
    assert report.message == "Nothing was imported: 1 of 2 records are invalid."
    bad = report.records[1]
    assert (bad.id, bad.action) == (smuggled["id"], "invalid")
    assert bad.reasons == [
        f"data_url {private.url} names a result you may not read; importing it would share "
        "that result with the template's readers"
    ]
    assert not Template.objects.exists()
    # A link to a result this installation does not hold hands out nothing: accepted.
    elsewhere = record(data_url="/api/data/2f1e0a6c-6d1e-4d38-9d5e-2ad4b7c1f001")
    assert import_templates(as_array([elsewhere]), owner=curator, actor=curator).ok


def test_a_badly_typed_field_does_not_hide_the_other_reasons(curator: User) -> None:
    bad = record(title="Quarterly sales", generated_sql="DELETE FROM orders", parameters=[1, 2])
    report = import_templates(as_array([bad]), owner=curator, dry_run=True)
    (line,) = report.records
    assert line.title == "Quarterly sales"
    assert any(r.startswith("parameters") for r in line.reasons), line.reasons
    assert any("DELETE" in r for r in line.reasons), line.reasons

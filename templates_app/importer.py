"""Bulk import of templates from a JSON array, NDJSON, or a .zip of such files. Every record is
checked (schema, SQL guard, UI code, parameters) before anything is written; one bad record and
nothing is written, and the report names every bad record with the reasons. Records are matched
by `id`; an identical record is `unchanged`, so re-importing a file changes nothing."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from core.errors import Refused, TooLarge
from core.schemas import has_lone_surrogate
from executors.access import is_foreign_result
from templates_app import permissions, validation
from templates_app.models import Status, Template, TemplateVersion, Visibility
from templates_app.schemas import ImportRecordReport, ImportReportOut, TemplateExportRecord
from templates_app.selectors import export_record
from templates_app.services import default_title, snapshot_fields

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_RECORDS = 5_000
MAX_ZIP_MEMBERS = 100
RECORD_FILE_SUFFIXES = (".json", ".ndjson", ".jsonl")
ON_CONFLICT = ("skip", "update", "fail")


class ImportRefused(Exception):
    """The upload as a whole cannot be read (too big, not JSON, not UTF-8, ...)."""


@dataclass
class RawRecord:
    index: int
    source: str | None
    value: Any = None
    problems: list[str] = field(default_factory=list)


def max_file_bytes() -> int:
    return validation.limit("IMPORT_MAX_BYTES", MAX_FILE_BYTES)


def max_records() -> int:
    return validation.limit("IMPORT_MAX_RECORDS", MAX_RECORDS)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply for the parser") from None


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where} is not valid UTF-8 (bad byte at offset {exc.start})") from None


def _parse_document(data: bytes, source: str | None, start: int) -> list[RawRecord]:
    """One file: a JSON array, a single JSON object, or NDJSON (one object per line)."""
    name = source or "the upload"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    stripped = data.lstrip()
    if not stripped:
        raise ImportRefused(f"{name} is empty")
    if stripped[:1] == b"[":
        try:
            value = _loads(_decode(data, name))
        except ValueError as exc:
            raise ImportRefused(f"{name} is not a valid JSON array: {exc}") from None
        if not isinstance(value, list):
            raise ImportRefused(f"{name} is not a JSON array")
        return [RawRecord(start + i, source, item) for i, item in enumerate(value)]
    if stripped[:1] == b"{":
        try:
            value = _loads(_decode(data, name))
        except ValueError:
            value = None  # several lines: NDJSON
        if isinstance(value, dict):
            return [RawRecord(start, source, value)]
    records: list[RawRecord] = []
    for line_number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{line_number}" if source else f"line {line_number}"
        record = RawRecord(start + len(records), where)
        try:
            record.value = _loads(_decode(line, f"line {line_number}"))
        except ValueError as exc:
            record.problems.append(f"line {line_number} is not a JSON object: {exc}")
        records.append(record)
        if len(records) > max_records():
            break
    if not records:
        raise ImportRefused(f"{name} holds no records")
    return records


def _parse_zip(data: bytes) -> list[RawRecord]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ImportRefused(f"The upload is not a valid zip file: {exc}") from None
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and not info.filename.rsplit("/", 1)[-1].startswith(".")
    ]
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportRefused(f"The zip holds {len(members)} files; the limit is {MAX_ZIP_MEMBERS}")
    unexpected = [m.filename for m in members if not m.filename.endswith(RECORD_FILE_SUFFIXES)]
    if unexpected:
        raise ImportRefused(
            "The zip may hold only .json, .ndjson and .jsonl files; found "
            + ", ".join(sorted(unexpected)[:5])
        )
    budget = max_file_bytes()
    records: list[RawRecord] = []
    for info in sorted(members, key=lambda m: m.filename):
        # Read at most what is left of the budget: a zip bomb's headers may lie about sizes.
        with archive.open(info) as member:
            content = member.read(budget + 1)
        budget -= len(content)
        if budget < 0:
            raise ImportRefused(
                f"The zip expands to more than {max_file_bytes()} bytes, the import limit"
            )
        records += _parse_document(content, info.filename, len(records))
        if len(records) > max_records():
            break
    if not records:
        raise ImportRefused("The zip holds no records")
    return records


def read_records(data: bytes, filename: str = "") -> list[RawRecord]:
    """Split an upload into raw records, refusing uploads over the size and count limits."""
    if len(data) > max_file_bytes():
        raise ImportRefused(
            f"The file is {len(data)} bytes; the import limit is {max_file_bytes()} bytes"
        )
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".zip"):
        records = _parse_zip(data)
    else:
        records = _parse_document(data, None, 0)
    if len(records) > max_records():
        raise ImportRefused(f"The file holds more than {max_records()} records, the import limit")
    return records


def _pydantic_reasons(exc: ValidationError) -> list[str]:
    reasons = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "record"
        if error["type"] == "extra_forbidden":
            reasons.append(f"{where}: unknown field")
        else:
            reasons.append(f"{where}: {error['msg']}")
    return reasons


def validate_record(value: Any) -> tuple[TemplateExportRecord | None, list[str]]:
    """Check one parsed record; return it validated, or None and every reason it is refused."""
    if not isinstance(value, dict):
        return None, [f"a record must be a JSON object, not {type(value).__name__}"]
    if has_lone_surrogate(value):
        return None, [
            "the record holds a lone UTF-16 surrogate (such as \\ud800), which is not text"
        ]
    depth = validation.json_depth(value)
    max_depth = validation.limit("MAX_JSON_DEPTH", validation.MAX_JSON_DEPTH)
    if depth > max_depth:
        return None, [f"the record is nested {depth} levels deep; the limit is {max_depth}"]
    try:
        record = TemplateExportRecord.model_validate(value)
    except ValidationError as exc:
        # A badly typed field must not hide what else is wrong (a DELETE in the SQL, say).
        return None, _pydantic_reasons(exc) + _raw_content_problems(value)
    problems = validation.text_problems(
        prompt=record.prompt,
        title=record.title,
        description=record.description,
        tags=record.tags,
        engine=record.engine,
    )
    problems += validation.sql_problems(record.generated_sql, record.data_source)
    problems += validation.ui_code_problems(record.ui_code)
    problems += validation.parameters_problems(record.parameters)
    problems += validation.data_url_problems(record.data_url)
    return (None if problems else record), problems


def _raw_content_problems(value: dict[str, Any]) -> list[str]:
    """The content checks of the fields that are well typed in a record that failed validation."""
    problems: list[str] = []
    sql, source = value.get("generated_sql"), value.get("data_source")
    if isinstance(sql, str):
        problems += validation.sql_problems(sql, source if source == "spark" else "duckdb")
    if isinstance(value.get("ui_code"), str):
        problems += validation.ui_code_problems(value["ui_code"])
    if isinstance(value.get("parameters"), dict):
        problems += validation.parameters_problems(value["parameters"])
    data_url = value.get("data_url")
    if data_url is None or isinstance(data_url, str):
        problems += validation.data_url_problems(data_url)
    return problems


def _record_title(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("title"), str):
        return value["title"][:200]
    return None


def _record_id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"][:64]
    return None


def _fields_of(record: TemplateExportRecord) -> dict[str, Any]:
    """Model fields an import sets: everything the record carries."""
    values = record.model_dump(exclude={"id"}, exclude_unset=True)
    for name in ("created_at", "updated_at", "title", "description", "tags", "engine"):
        if values.get(name) is None:
            values.pop(name, None)
    for name in ("status", "featured", "visibility"):
        if values.get(name) is None:
            values.pop(name, None)
    return values


def _same(existing: Template, record: TemplateExportRecord) -> bool:
    current = export_record(existing).model_dump()
    return all(current[name] == value for name, value in _fields_of(record).items())


def _new_template(record: TemplateExportRecord, owner: Any, now: Any) -> Template:
    fields = _fields_of(record)
    fields.setdefault("title", default_title(record.parameters, record.prompt))
    fields.setdefault("status", Status.DRAFT)
    fields.setdefault("visibility", Visibility.PRIVATE)
    fields.setdefault("created_at", now)
    fields.setdefault("updated_at", fields["created_at"])
    template = Template(id=record.id, owner=owner, version=1, **fields)
    template.result_id = validation.result_id_of(template.data_url)
    return template


def _apply(template: Template, record: TemplateExportRecord, now: Any) -> None:
    fields = _fields_of(record)
    fields.setdefault("updated_at", now)
    for name, value in fields.items():
        setattr(template, name, value)
    template.result_id = validation.result_id_of(template.data_url)
    template.version += 1


def _report(
    *,
    ok: bool,
    dry_run: bool,
    written: bool,
    on_conflict: str,
    message: str,
    records: list[ImportRecordReport],
    file_errors: list[str] | None = None,
) -> ImportReportOut:
    def count(action: str) -> int:
        return sum(1 for r in records if r.action == action)

    return ImportReportOut(
        ok=ok,
        dry_run=dry_run,
        written=written,
        on_conflict=on_conflict,  # type: ignore[arg-type]
        message=message,
        total=len(records),
        created=count("create"),
        updated=count("update"),
        unchanged=count("unchanged"),
        skipped=count("skip"),
        invalid=count("invalid"),
        file_errors=file_errors or [],
        records=records,
    )


def import_templates(
    data: bytes,
    *,
    filename: str = "",
    owner: Any = None,
    actor: Any = None,
    on_conflict: str = "skip",
    dry_run: bool = False,
) -> ImportReportOut:
    """Check every record of `data`, then write all of them in one transaction or none."""
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict must be one of {', '.join(ON_CONFLICT)}")
    try:
        raw_records = read_records(data, filename)
    except ImportRefused as exc:
        return _report(
            ok=False,
            dry_run=dry_run,
            written=False,
            on_conflict=on_conflict,
            message=f"Nothing was imported: {exc}",
            records=[],
            file_errors=[str(exc)],
        )

    reports: list[ImportRecordReport] = []
    valid: list[tuple[ImportRecordReport, TemplateExportRecord]] = []
    first_index: dict[uuid.UUID, int] = {}
    for raw in raw_records:
        record, problems = (None, raw.problems) if raw.problems else validate_record(raw.value)
        report = ImportRecordReport(
            index=raw.index,
            id=str(record.id) if record else _record_id(raw.value),
            title=record.title if record else _record_title(raw.value),
            source=raw.source,
            action="invalid",
            reasons=list(problems),
        )
        reports.append(report)
        if record is None:
            continue
        if actor is not None and is_foreign_result(actor, validation.result_id_of(record.data_url)):
            # The template's readers could read that result: an import never widens access.
            report.reasons.append(
                f"data_url {record.data_url} names a result you may not read; importing it "
                "would share that result with the template's readers"
            )
            continue
        if record.id in first_index:
            report.reasons.append(f"duplicate id: the same id is at index {first_index[record.id]}")
            continue
        first_index[record.id] = raw.index
        valid.append((report, record))

    with transaction.atomic():
        ids = [record.id for _, record in valid]
        existing: dict[uuid.UUID, Template] = {}
        for start in range(0, len(ids), 500):
            chunk = Template.objects.select_for_update().filter(pk__in=ids[start : start + 500])
            existing.update({template.id: template for template in chunk})
        for report, record in valid:
            current = existing.get(record.id)
            if current is None:
                report.action = "create"
            elif _same(current, record):
                report.action = "unchanged"
            elif on_conflict == "skip":
                report.action = "skip"
            elif on_conflict == "update":
                report.action = "update"
            else:
                report.reasons.append(
                    "a different template with this id exists (on-conflict is fail)"
                )
        bad = [r for r in reports if r.reasons]
        for report in bad:
            report.action = "invalid"
        if bad:
            return _report(
                ok=False,
                dry_run=dry_run,
                written=False,
                on_conflict=on_conflict,
                message=(
                    f"Nothing was imported: {len(bad)} of {len(reports)} records are invalid."
                ),
                records=reports,
            )
        result = _report(
            ok=True,
            dry_run=dry_run,
            written=False,
            on_conflict=on_conflict,
            message="",
            records=reports,
        )
        if dry_run:
            result.message = (
                f"Dry run: {result.created} to create, {result.updated} to update, "
                f"{result.unchanged} unchanged, {result.skipped} to skip. Nothing was written."
            )
            return result
        _write(valid, existing, owner=owner, actor=actor)
        result.written = result.created + result.updated > 0
        result.message = (
            f"Imported: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.skipped} skipped."
        )
        return result


def _write(
    valid: list[tuple[ImportRecordReport, TemplateExportRecord]],
    existing: dict[uuid.UUID, Template],
    *,
    owner: Any,
    actor: Any,
) -> None:
    now = timezone.now()
    created: list[Template] = []
    versions: list[TemplateVersion] = []
    for report, record in valid:
        if report.action == "create":
            template = _new_template(record, owner, now)
            created.append(template)
            versions.append(TemplateVersion(**snapshot_fields(template, actor, "imported")))
        elif report.action == "update":
            template = existing[record.id]
            _apply(template, record, now)
            template.save()
            versions.append(TemplateVersion(**snapshot_fields(template, actor, "imported")))
    Template.objects.bulk_create(created, batch_size=200)
    TemplateVersion.objects.bulk_create(versions, batch_size=200)


def import_upload(
    user: Any,
    upload: File,
    *,
    on_conflict: str = "skip",
    dry_run: bool = False,
) -> ImportReportOut:
    """An uploaded file imported by `user` (a curator), who owns what it creates. A refused
    import raises `Refused` with the report as its detail; a dry run returns the report."""
    permissions.check_can_import(user)
    if upload.size is not None and upload.size > max_file_bytes():
        raise TooLarge(
            f"The file is {upload.size} bytes; the import limit is {max_file_bytes()}.",
            code="file_too_large",
        )
    report = import_templates(
        upload.read(),
        filename=upload.name or "",
        owner=user,
        actor=user,
        on_conflict=on_conflict,
        dry_run=dry_run,
    )
    if not report.ok and not dry_run:
        raise Refused(report.message, code="import_refused", detail=report.model_dump())
    return report

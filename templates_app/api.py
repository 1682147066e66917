"""The templates API under /api/templates: list, save, edit with optimistic concurrency, versions,
sharing, refresh, export and bulk import. Callers who cannot see a template get 404, never 403."""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from executors import registry
from executors import services as executors_services
from executors.access import readable_result
from executors.schemas import ColumnOut, QueryOut
from templates_app import importer, permissions, run_sources, selectors, services, validation
from templates_app.models import Template, TemplateShare
from templates_app.schemas import (
    ImportReportOut,
    ShareOut,
    SharesIn,
    SharesOut,
    TemplateCreateIn,
    TemplateExportRecord,
    TemplateListOut,
    TemplateOut,
    TemplatePatchIn,
    TemplateVersionOut,
)
from vizorch_site.errors import ApiError, ErrorOut

router = Router(tags=["templates"])

MAX_PAGE_SIZE = 100
NOT_FOUND = "Template not found."
CONTENT = set(services.CONTENT_FIELDS)
CURATION = set(services.CURATION_FIELDS)
NOT_NULL = {*services.EDITABLE_FIELDS, "version"} - {"data_url"}


class TemplateFilters(Schema):
    q: str = ""
    mine: bool = False
    shared: bool = False
    featured: bool | None = None
    status: Literal["draft", "published", "archived"] | None = None
    data_source: Literal["spark", "duckdb"] | None = None
    tag: str | None = None
    ordering: Literal[tuple(selectors.ORDERINGS)] = "-updated_at"  # type: ignore[valid-type]
    page: int = 1
    page_size: int = 24


def _visible_or_404(request: HttpRequest, template_id: uuid.UUID) -> Template:
    template = (
        permissions.visible_templates(request.user)
        .select_related("owner")
        .filter(pk=template_id)
        .first()
    )
    if template is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return template


def _forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def _check_data_url(request: HttpRequest, data_url: str | None) -> None:
    """A template's readers may read the result it points at, so only attach results you can
    read yourself: otherwise a template would hand out someone else's data."""
    result_id = validation.result_id_of(data_url)
    if not result_id:
        return  # null, or malformed (refused by the content checks)
    try:
        readable_result(request.user, result_id)
    except Http404:
        raise ApiError(
            422,
            "invalid_template",
            "data_url must point at a result you can read",
            detail={"reasons": ["data_url must point at a result you can read"]},
        ) from None


def _etag(template: Template) -> str:
    return f'"{template.version}"'


def _expected_version(request: HttpRequest, body_version: int | None) -> int | None:
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        match = re.fullmatch(r'(?:W/)?"?(\d+)"?', header)
        if match is None:
            raise ApiError(400, "invalid_if_match", "If-Match must be the template's version.")
        return int(match[1])
    return body_version


def _out(request: HttpRequest, template: Template, response: HttpResponse) -> TemplateOut:
    response["ETag"] = _etag(template)
    return selectors.template_out(template, request.user)


@router.get("/templates", response={200: TemplateListOut})
def list_templates(request: HttpRequest, filters: Query[TemplateFilters]) -> TemplateListOut:
    """The templates you can see, searched (title, prompt, tags), filtered and paginated."""
    page_size = max(1, min(filters.page_size, MAX_PAGE_SIZE))
    page = max(1, filters.page)
    templates = selectors.search_templates(
        request.user,
        q=filters.q.strip(),
        mine=filters.mine,
        shared=filters.shared,
        featured=filters.featured,
        status=filters.status,
        data_source=filters.data_source,
        tag=filters.tag,
        ordering=filters.ordering,
    )
    total = templates.count()
    window = templates[(page - 1) * page_size : page * page_size]
    return TemplateListOut(
        items=[selectors.template_out(t, request.user) for t in window],
        total=total,
        page=page,
        page_size=page_size,
    )


def _fields_from_run(request: HttpRequest, run_id: uuid.UUID) -> dict[str, Any]:
    run = run_sources.lookup(run_id, request.user)
    if run is None:
        raise ApiError(404, "run_not_found", "run not found")
    engine = run.get("engine") or ""
    data_source = run.get("data_source") or _data_source_of(engine)
    result_id = run.get("result_id")
    return {
        "prompt": run.get("prompt") or "",
        "generated_sql": run.get("generated_sql") or "",
        "ui_code": run.get("ui_code") or "",
        "parameters": run.get("parameters") or {},
        "engine": engine,
        "data_source": data_source,
        "data_url": f"/api/data/{result_id}" if result_id else None,
        "conversation_id": run.get("conversation_id"),
    }


def _data_source_of(engine_name: str) -> str:
    try:
        engine = registry.get_engine(engine_name or None)
    except Exception:
        return "spark" if "spark" in engine_name.lower() else "duckdb"
    return "spark" if engine.dialect == "spark" else "duckdb"


@router.post("/templates", response={201: TemplateOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def create_template(
    request: HttpRequest, payload: TemplateCreateIn, response: HttpResponse
) -> Status[TemplateOut]:
    """Save a template from one of your chat runs, or from a full template body."""
    if not permissions.can_create(request.user):
        raise _forbidden("Only analysts and curators can save templates.")
    body = payload.dict()
    meta = {
        "title": body["title"],
        "description": body["description"],
        "tags": body["tags"],
        "visibility": body["visibility"],
    }
    run_id = body.get("run_id")
    conversation_id = None
    if run_id is not None:
        fields = _fields_from_run(request, run_id)
        conversation_id = fields.pop("conversation_id")
    else:
        missing = [
            name
            for name in ("prompt", "generated_sql", "ui_code", "data_source")
            if body.get(name) is None
        ]
        if missing:
            raise ApiError(
                422,
                "invalid_template",
                "Send run_id, or a full template with " + ", ".join(missing),
                detail={"missing": missing},
            )
        fields = {
            name: body[name]
            for name in ("prompt", "generated_sql", "ui_code", "data_source", "data_url")
        }
        fields["parameters"] = body.get("parameters") or {}
        fields["engine"] = body.get("engine") or ""
        _check_data_url(request, fields["data_url"])
    template = services.create_template(
        request.user,
        {**fields, **meta},
        change="saved from a chat run" if run_id else "created",
        source_run_id=run_id,
        source_conversation_id=_as_uuid(conversation_id),
    )
    return Status(201, _out(request, template, response))


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@router.get("/templates/export", response={200: list[TemplateExportRecord], 404: ErrorOut})
def export_templates(request: HttpRequest, ids: str = "") -> HttpResponse:
    """The chosen templates (comma-separated `ids`, or all you can see) as a JSON array in the
    template format, ready for bulk import."""
    templates = permissions.visible_templates(request.user)
    if ids.strip():
        try:
            wanted = {uuid.UUID(part.strip()) for part in ids.split(",") if part.strip()}
        except ValueError:
            raise ApiError(404, "not_found", NOT_FOUND) from None
        templates = templates.filter(pk__in=wanted)
        if templates.count() != len(wanted):
            raise ApiError(404, "not_found", NOT_FOUND)
    response = HttpResponse(selectors.export_json(templates), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="templates.json"'
    return response


@router.post(
    "/templates/import",
    response={200: ImportReportOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut},
)
def import_templates(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    on_conflict: Form[Literal["skip", "update", "fail"]] = "skip",
) -> ImportReportOut:
    """Bulk-import templates (JSON array, NDJSON or .zip); all records or none. Curators only."""
    if not permissions.can_import(request.user):
        raise _forbidden("Only curators can import templates.")
    if file.size is not None and file.size > importer.max_file_bytes():
        raise ApiError(
            413,
            "file_too_large",
            f"The file is {file.size} bytes; the import limit is {importer.max_file_bytes()}.",
        )
    report = importer.import_templates(
        file.read(),
        filename=file.name or "",
        owner=request.user,
        actor=request.user,
        on_conflict=on_conflict,
        dry_run=dry_run,
    )
    if not report.ok and not dry_run:
        raise ApiError(400, "import_refused", report.message, detail=report.model_dump())
    return report


@router.get("/templates/{template_id}", response={200: TemplateOut, 404: ErrorOut})
def get_template(
    request: HttpRequest, template_id: uuid.UUID, response: HttpResponse
) -> TemplateOut:
    """One template; its `ETag` is the version to send back as `If-Match` when changing it."""
    return _out(request, _visible_or_404(request, template_id), response)


@router.patch(
    "/templates/{template_id}",
    response={200: TemplateOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 428: ErrorOut},
)
def patch_template(
    request: HttpRequest, template_id: uuid.UUID, payload: TemplatePatchIn, response: HttpResponse
) -> TemplateOut:
    """Change a template, based on the version you have (`If-Match` or `version`); a stale
    version answers 409 with the current one."""
    template = _visible_or_404(request, template_id)
    # null means "leave unchanged" (generated clients send every field), except for data_url,
    # where null is a value: the template has no stored result.
    changes = {
        name: value
        for name, value in payload.dict(exclude_unset=True).items()
        if value is not None or name not in NOT_NULL
    }
    expected = _expected_version(request, changes.pop("version", None))
    if changes.keys() & CURATION and not permissions.can_curate(request.user):
        raise _forbidden("Only curators can publish, feature or archive templates.")
    if "visibility" in changes and not permissions.can_share(request.user, template):
        raise _forbidden("Only the owner or a curator can change who sees this template.")
    if changes.keys() & CONTENT and not permissions.can_edit(request.user, template):
        raise _forbidden("You can view this template but not change it.")
    if changes.get("data_url") and changes["data_url"] != template.data_url:
        _check_data_url(request, changes["data_url"])
    if expected is None:
        raise ApiError(
            428,
            "version_required",
            "Send the version you are changing, as If-Match or as `version` in the body.",
            detail={"current_version": template.version},
        )
    updated = services.update_template(
        template.pk, request.user, changes, expected_version=expected
    )
    return _out(request, updated, response)


@router.delete(
    "/templates/{template_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def delete_template(request: HttpRequest, template_id: uuid.UUID) -> Status[None]:
    """Delete a template with its history and shares."""
    template = _visible_or_404(request, template_id)
    if not permissions.can_delete(request.user, template):
        raise _forbidden("You can view this template but not delete it.")
    expected = _expected_version(request, None)
    if expected is not None and expected != template.version:
        raise services.version_conflict(expected, template.version)
    services.delete_template(template)
    return Status(204, None)


@router.get(
    "/templates/{template_id}/versions", response={200: list[TemplateVersionOut], 404: ErrorOut}
)
def list_versions(request: HttpRequest, template_id: uuid.UUID) -> list[TemplateVersionOut]:
    """The template's history, newest first: who changed what, when."""
    template = _visible_or_404(request, template_id)
    rows = template.versions.select_related("author").order_by("-version")
    return [selectors.version_out(row) for row in rows]


@router.post(
    "/templates/{template_id}/restore/{version}",
    response={200: TemplateOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def restore_version(
    request: HttpRequest, template_id: uuid.UUID, version: int, response: HttpResponse
) -> TemplateOut:
    """Make an earlier version's content current again, as a new version."""
    template = _visible_or_404(request, template_id)
    if not permissions.can_edit(request.user, template):
        raise _forbidden("You can view this template but not change it.")
    restored = services.restore_version(
        template.pk, request.user, version, expected_version=_expected_version(request, None)
    )
    return _out(request, restored, response)


def _shares_out(template: Template) -> SharesOut:
    shares = [
        ShareOut(
            user=share.user.get_username() if share.user else None,
            group=share.group.name if share.group else None,
            role=share.role,  # type: ignore[arg-type]
        )
        for share in TemplateShare.objects.filter(template=template).select_related("user", "group")
    ]
    # Users first, then groups, each by name: the same order on every database.
    shares.sort(key=lambda s: (s.group is not None, s.user or s.group or ""))
    return SharesOut(visibility=template.visibility, shares=shares)  # type: ignore[arg-type]


@router.get(
    "/templates/{template_id}/shares", response={200: SharesOut, 403: ErrorOut, 404: ErrorOut}
)
def get_shares(request: HttpRequest, template_id: uuid.UUID) -> SharesOut:
    """Who the template is shared with; for its owner and curators."""
    template = _visible_or_404(request, template_id)
    if not permissions.can_share(request.user, template):
        raise _forbidden("Only the owner or a curator can see this template's shares.")
    return _shares_out(template)


@router.put(
    "/templates/{template_id}/shares",
    response={200: SharesOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def put_shares(request: HttpRequest, template_id: uuid.UUID, payload: SharesIn) -> SharesOut:
    """Replace who the template is shared with (users or groups, as viewer or editor)."""
    template = _visible_or_404(request, template_id)
    if not permissions.can_share(request.user, template):
        raise _forbidden("Only the owner or a curator can share this template.")
    shares = [share.dict() for share in payload.shares]
    template = services.set_shares(template, request.user, shares, payload.visibility)
    return _shares_out(template)


def _refreshable_or_404(request: HttpRequest, template_id: uuid.UUID) -> Template:
    template = _visible_or_404(request, template_id)
    if not permissions.can_refresh(request.user, template):
        raise ApiError(404, "not_found", NOT_FOUND)
    return template


@router.post(
    "/templates/{template_id}/refresh",
    response={200: QueryOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut, 503: ErrorOut},
)
async def refresh_template(request: HttpRequest, template_id: uuid.UUID) -> QueryOut:
    """Run the template's SQL now (through the SQL guard) and return the new result for you."""
    # Async: a long query runs in a worker thread of its own instead of holding the one thread
    # Django's sync views share under ASGI.
    template = await sync_to_async(_refreshable_or_404)(request, template_id)
    engine_name = template.engine or None
    if engine_name is None and template.data_source == "spark":
        engine_name = "spark"
    result = await executors_services.aexecute_query(
        template.generated_sql,
        engine_name=engine_name,
        owner=request.user,
        source_dialect="spark" if template.data_source == "spark" else "duckdb",
    )
    return QueryOut(
        id=result.id,
        url=result.url,
        size=result.size,  # type: ignore[arg-type]
        format=result.format,  # type: ignore[arg-type]
        row_count=result.row_count,
        truncated=result.truncated,
        columns=[ColumnOut(name=c["name"], type=c["type"]) for c in result.columns],
    )

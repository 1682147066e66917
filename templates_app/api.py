"""The templates API under /api/templates: list, save, edit with optimistic concurrency, versions,
sharing, refresh, export and bulk import. Callers who cannot see a template get 404, never 403.
Views parse the request, call one service or selector and let the schemas shape the answer."""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core.errors import Refused
from core.schemas import ErrorOut
from executors.schemas import QueryOut
from executors.services import StoredResult
from templates_app import importer, selectors, services
from templates_app.models import Template, TemplateVersion
from templates_app.schemas import (
    ImportReportOut,
    SharesIn,
    SharesOut,
    TemplateCreateIn,
    TemplateExportRecord,
    TemplateListOut,
    TemplateOut,
    TemplatePatchIn,
    TemplateVersionOut,
)

router = Router(tags=["templates"])


class TemplateFilters(Schema):
    q: str = ""
    mine: bool = False
    shared: bool = False
    featured: bool | None = None
    status: Literal["draft", "published", "archived"] | None = None
    data_source: Literal["spark", "duckdb"] | None = None
    tag: str | None = None
    ordering: Literal[tuple(selectors.ORDERINGS)] = "-updated_at"  # type: ignore[valid-type]
    # Bounded so that the page's offset fits every database's integers.
    page: int = Field(default=1, le=selectors.MAX_PAGE)
    page_size: int = 24


def _expected_version(request: HttpRequest, body_version: int | None) -> int | None:
    """The version a change is based on: `If-Match` (an ETag we sent) wins over the body's."""
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        match = re.fullmatch(r'(?:W/)?"?(\d+)"?', header)
        if match is None:
            raise Refused("If-Match must be the template's version.", code="invalid_if_match")
        return int(match[1])
    return body_version


def _with_etag(template: Template, response: HttpResponse) -> Template:
    response["ETag"] = f'"{template.version}"'
    return template


@router.get("/templates", response={200: TemplateListOut})
def list_templates(request: HttpRequest, filters: Query[TemplateFilters]) -> dict[str, Any]:
    """The templates you can see, searched (title, prompt, tags), filtered and paginated."""
    criteria = filters.dict()
    return selectors.template_page(
        request.user,
        page=criteria.pop("page"),
        page_size=criteria.pop("page_size"),
        **{**criteria, "q": filters.q.strip()},
    )


@router.post("/templates", response={201: TemplateOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def create_template(
    request: HttpRequest, payload: TemplateCreateIn, response: HttpResponse
) -> Status[Template]:
    """Save a template from one of your chat runs, or from a full template body."""
    template = services.save_template(request.user, payload.model_dump())
    return Status(201, _with_etag(template, response))


@router.get("/templates/export", response={200: list[TemplateExportRecord], 404: ErrorOut})
def export_templates(request: HttpRequest, ids: str = "") -> HttpResponse:
    """The chosen templates (comma-separated `ids`, or all you can see) as a JSON array in the
    template format, ready for bulk import."""
    templates = selectors.templates_to_export(request.user, ids)
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
    return importer.import_upload(request.user, file, on_conflict=on_conflict, dry_run=dry_run)


@router.get("/templates/{template_id}", response={200: TemplateOut, 404: ErrorOut})
def get_template(request: HttpRequest, template_id: uuid.UUID, response: HttpResponse) -> Template:
    """One template; its `ETag` is the version to send back as `If-Match` when changing it."""
    return _with_etag(selectors.visible_template(request.user, template_id), response)


@router.patch(
    "/templates/{template_id}",
    response={200: TemplateOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 428: ErrorOut},
)
def patch_template(
    request: HttpRequest, template_id: uuid.UUID, payload: TemplatePatchIn, response: HttpResponse
) -> Template:
    """Change a template, based on the version you have (`If-Match` or `version`); a stale
    version answers 409 with the current one."""
    changes = payload.model_dump(exclude_unset=True)
    expected = _expected_version(request, changes.pop("version", None))
    template = services.edit_template(request.user, template_id, changes, expected_version=expected)
    return _with_etag(template, response)


@router.delete(
    "/templates/{template_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def delete_template(request: HttpRequest, template_id: uuid.UUID) -> Status[None]:
    """Delete a template with its history and shares."""
    expected = _expected_version(request, None)
    services.remove_template(request.user, template_id, expected_version=expected)
    return Status(204, None)


@router.get(
    "/templates/{template_id}/versions", response={200: list[TemplateVersionOut], 404: ErrorOut}
)
def list_versions(request: HttpRequest, template_id: uuid.UUID) -> QuerySet[TemplateVersion]:
    """The template's history, newest first: who changed what, when."""
    return selectors.versions_of(request.user, template_id)


@router.post(
    "/templates/{template_id}/restore/{version}",
    response={200: TemplateOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def restore_version(
    request: HttpRequest, template_id: uuid.UUID, version: int, response: HttpResponse
) -> Template:
    """Make an earlier version's content current again, as a new version."""
    expected = _expected_version(request, None)
    template = services.restore_template(
        request.user, template_id, version, expected_version=expected
    )
    return _with_etag(template, response)


@router.get(
    "/templates/{template_id}/shares", response={200: SharesOut, 403: ErrorOut, 404: ErrorOut}
)
def get_shares(request: HttpRequest, template_id: uuid.UUID) -> dict[str, Any]:
    """Who the template is shared with; for its owner and curators."""
    return selectors.shares_of(request.user, template_id)


@router.put(
    "/templates/{template_id}/shares",
    response={200: SharesOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def put_shares(request: HttpRequest, template_id: uuid.UUID, payload: SharesIn) -> dict[str, Any]:
    """Replace who the template is shared with (users or groups, as viewer or editor)."""
    shares = [share.model_dump() for share in payload.shares]
    template = services.share_template(request.user, template_id, shares, payload.visibility)
    return selectors.shares_out(template)


@router.post(
    "/templates/{template_id}/refresh",
    response={200: QueryOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut, 503: ErrorOut},
)
async def refresh_template(request: HttpRequest, template_id: uuid.UUID) -> StoredResult:
    """Run the template's SQL now (through the SQL guard) and return the new result for you."""
    # Async: a long query runs in a worker thread of its own instead of holding the one thread
    # Django's sync views share under ASGI.
    return await services.refresh_template(request.user, template_id)


@router.put(
    "/templates/{template_id}/thumbnail",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def put_thumbnail(request: HttpRequest, template_id: uuid.UUID) -> Status[None]:
    """Store a PNG picture of the chart (drawn by your browser) with the template's current
    version; a viewer may fill in a missing picture, only editors may replace one."""
    services.set_thumbnail(request.user, template_id, request.body)
    return Status(204, None)


@router.get("/templates/{template_id}/thumbnail", response={200: Any, 404: ErrorOut})
def get_thumbnail(request: HttpRequest, template_id: uuid.UUID) -> HttpResponse:
    """The template's picture of its chart, as a PNG."""
    image, version = selectors.thumbnail_of(request.user, template_id)
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    response["ETag"] = f'"{template_id}.{version}"'
    return response

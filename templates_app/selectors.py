"""Reads of templates: one visible template, the visible list with search, filters and pages,
shares, versions, and the export shape."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from core.errors import NotFound
from templates_app import permissions
from templates_app.errors import ThumbnailNotFound
from templates_app.models import Template, TemplateShare, TemplateVersion
from templates_app.schemas import TemplateExportRecord

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000

ORDERINGS = {
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "id"),
    "title": ("title", "id"),
    "-title": ("-title", "id"),
    "version": ("version", "id"),
    "-version": ("-version", "id"),
}


def search_templates(
    user: Any,
    *,
    q: str = "",
    mine: bool = False,
    shared: bool = False,
    featured: bool | None = None,
    status: str | None = None,
    data_source: str | None = None,
    tag: str | None = None,
    ordering: str = "-updated_at",
) -> QuerySet[Template]:
    templates = permissions.visible_templates(user).select_related("owner")
    if q or tag:
        # Tags are a JSON list searched in its text form. SQLite stores it ASCII-escaped and
        # PostgreSQL's jsonb prints it raw, so look for both spellings.
        templates = templates.annotate(tags_text=Cast("tags", TextField()))
    if q:
        templates = templates.filter(
            Q(title__icontains=q)
            | Q(prompt__icontains=q)
            | Q(tags_text__icontains=json.dumps(q, ensure_ascii=False)[1:-1])
            | Q(tags_text__icontains=json.dumps(q)[1:-1])
        )
    if tag:
        templates = templates.filter(
            Q(tags_text__icontains=json.dumps(tag, ensure_ascii=False))
            | Q(tags_text__icontains=json.dumps(tag))
        )
    if mine:
        templates = templates.filter(owner=user)
    if shared:
        shared_ids = TemplateShare.objects.filter(
            Q(user=user) | Q(group__in=user.groups.all())
        ).values("template_id")
        templates = templates.filter(pk__in=shared_ids).exclude(owner=user)
    if featured is not None:
        templates = templates.filter(featured=featured)
    if status:
        templates = templates.filter(status=status)
    if data_source:
        templates = templates.filter(data_source=data_source)
    return templates.order_by(*ORDERINGS[ordering])


def visible_template(user: Any, template_id: uuid.UUID) -> Template:
    """The template if `user` may see it; whoever may not gets "not found", never "forbidden"."""
    template = (
        permissions.visible_templates(user).select_related("owner").filter(pk=template_id).first()
    )
    if template is None:
        raise NotFound(permissions.NOT_FOUND)
    return template


def template_page(user: Any, *, page: int, page_size: int, **filters: Any) -> dict[str, Any]:
    """One page of `search_templates` (page sizes are clamped to 1..MAX_PAGE_SIZE) and the
    total number of matches."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    templates = search_templates(user, **filters)
    return {
        "items": list(templates[(page - 1) * page_size : page * page_size]),
        "total": templates.count(),
        "page": page,
        "page_size": page_size,
    }


def versions_of(user: Any, template_id: uuid.UUID) -> QuerySet[TemplateVersion]:
    """A visible template's history, newest first."""
    template = visible_template(user, template_id)
    return template.versions.select_related("author").order_by("-version")


def shares_of(user: Any, template_id: uuid.UUID) -> dict[str, Any]:
    """A template's visibility and shares, for its owner and curators: users first, then groups,
    each by name (the same order on every database)."""
    template = visible_template(user, template_id)
    permissions.check_can_see_shares(user, template)
    return shares_out(template)


def shares_out(template: Template) -> dict[str, Any]:
    shares = list(TemplateShare.objects.filter(template=template).select_related("user", "group"))
    shares.sort(key=_share_order)
    return {"visibility": template.visibility, "shares": shares}


def _share_order(share: TemplateShare) -> tuple[bool, str]:
    if share.user is not None:
        return (False, share.user.get_username())
    return (True, share.group.name if share.group is not None else "")


def templates_to_export(user: Any, ids: str = "") -> QuerySet[Template]:
    """The templates `user` may see, or those of them named in `ids` (comma-separated); any id
    that is malformed or not visible makes the whole export "not found"."""
    templates = permissions.visible_templates(user)
    if not ids.strip():
        return templates
    try:
        wanted = {uuid.UUID(part.strip()) for part in ids.split(",") if part.strip()}
    except ValueError:
        raise NotFound(permissions.NOT_FOUND) from None
    templates = templates.filter(pk__in=wanted)
    if templates.count() != len(wanted):
        raise NotFound(permissions.NOT_FOUND)
    return templates


def export_record(template: Template) -> TemplateExportRecord:
    return TemplateExportRecord(
        id=template.id,
        prompt=template.prompt,
        generated_sql=template.generated_sql,
        ui_code=template.ui_code,
        parameters=template.parameters,
        data_source=template.data_source,  # type: ignore[arg-type]
        data_url=template.data_url,
        created_at=template.created_at,
        updated_at=template.updated_at,
        title=template.title,
        description=template.description,
        tags=list(template.tags),
        engine=template.engine,
        status=template.status,  # type: ignore[arg-type]
        featured=template.featured,
        visibility=template.visibility,  # type: ignore[arg-type]
    )


def export_data(templates: QuerySet[Template]) -> list[dict[str, Any]]:
    """Templates in the JSON format, oldest first, so an export is stable."""
    return [
        export_record(template).model_dump(mode="json")
        for template in templates.order_by("created_at", "id")
    ]


def export_json(templates: QuerySet[Template]) -> str:
    return json.dumps(export_data(templates), ensure_ascii=False, indent=2) + "\n"


def thumbnail_version(template: Template) -> int | None:
    """The newest version of `template` that has a picture, if any."""
    version: int | None = (
        template.versions.filter(thumbnail__isnull=False)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return version


def thumbnail_of(user: Any, template_id: uuid.UUID) -> tuple[bytes, int]:
    """The template's newest picture and its version, for whoever may see the template."""
    template = visible_template(user, template_id)
    row = (
        template.versions.filter(thumbnail__isnull=False)
        .order_by("-version")
        .values_list("thumbnail", "version")
        .first()
    )
    if row is None or row[0] is None:
        raise ThumbnailNotFound("This template has no picture yet.")
    return bytes(row[0]), int(row[1])

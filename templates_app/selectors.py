"""Reads of templates: the visible list with search and filters, API and export shapes."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from templates_app import permissions
from templates_app.models import Template, TemplateShare, TemplateVersion
from templates_app.schemas import TemplateExportRecord, TemplateOut, TemplateVersionOut

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


def template_out(template: Template, user: Any) -> TemplateOut:
    return TemplateOut(
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
        owner=template.owner.get_username() if template.owner else None,
        engine=template.engine,
        status=template.status,  # type: ignore[arg-type]
        featured=template.featured,
        visibility=template.visibility,  # type: ignore[arg-type]
        version=template.version,
        source_run_id=template.source_run_id,
        source_conversation_id=template.source_conversation_id,
        can_edit=permissions.can_edit(user, template),
        can_share=permissions.can_share(user, template),
        can_curate=permissions.can_curate(user),
    )


def version_out(row: TemplateVersion) -> TemplateVersionOut:
    return TemplateVersionOut(
        version=row.version,
        created_at=row.created_at,
        author=row.author.get_username() if row.author else None,
        change=row.change,
        title=row.title,
        description=row.description,
        tags=list(row.tags),
        prompt=row.prompt,
        generated_sql=row.generated_sql,
        ui_code=row.ui_code,
        parameters=row.parameters,
        data_source=row.data_source,  # type: ignore[arg-type]
        engine=row.engine,
        data_url=row.data_url,
        status=row.status,  # type: ignore[arg-type]
        featured=row.featured,
        visibility=row.visibility,  # type: ignore[arg-type]
    )


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

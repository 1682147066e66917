"""Writes to templates. Every change bumps `version` with a conditional UPDATE on the version it
was based on (so two concurrent editors cannot both win, on SQLite and PostgreSQL alike) and
records the new content as a TemplateVersion row."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from templates_app import validation
from templates_app.errors import InvalidShares, InvalidTemplate, VersionConflict, VersionNotFound
from templates_app.models import (
    ShareRole,
    Template,
    TemplateShare,
    TemplateVersion,
    Visibility,
)

CONTENT_FIELDS = (
    "title",
    "description",
    "tags",
    "prompt",
    "generated_sql",
    "ui_code",
    "parameters",
    "data_source",
    "engine",
    "data_url",
)
CURATION_FIELDS = ("status", "featured")
SHARING_FIELDS = ("visibility",)
EDITABLE_FIELDS = CONTENT_FIELDS + CURATION_FIELDS + SHARING_FIELDS
SNAPSHOT_FIELDS = (*CONTENT_FIELDS, *CURATION_FIELDS, *SHARING_FIELDS)


def snapshot(template: Template, author: Any, change: str) -> TemplateVersion:
    return TemplateVersion.objects.create(**snapshot_fields(template, author, change))


def snapshot_fields(template: Template, author: Any, change: str) -> dict[str, Any]:
    return {
        "template": template,
        "version": template.version,
        "author": author if getattr(author, "pk", None) else None,
        "created_at": template.updated_at,
        "change": change[:200],
        **{name: getattr(template, name) for name in SNAPSHOT_FIELDS},
    }


@transaction.atomic
def create_template(
    owner: Any,
    fields: dict[str, Any],
    *,
    change: str = "created",
    source_run_id: uuid.UUID | None = None,
    source_conversation_id: uuid.UUID | None = None,
) -> Template:
    problems = validation.content_problems(fields)
    if problems:
        raise InvalidTemplate(problems)
    now = timezone.now()
    template = Template(
        owner=owner,
        created_at=now,
        updated_at=now,
        source_run_id=source_run_id,
        source_conversation_id=source_conversation_id,
        **{name: value for name, value in fields.items() if name in EDITABLE_FIELDS},
    )
    template.result_id = validation.result_id_of(template.data_url)
    template.save(force_insert=True)
    snapshot(template, owner, change)
    return template


def update_template(
    template_id: uuid.UUID,
    actor: Any,
    changes: dict[str, Any],
    *,
    expected_version: int | None,
    change: str = "updated",
) -> Template:
    """Apply `changes` if the template is still at `expected_version` (None: whatever it is).
    A change that changes nothing keeps the version."""
    with transaction.atomic():
        template = Template.objects.select_for_update().get(pk=template_id)
        if expected_version is not None and template.version != expected_version:
            raise VersionConflict(expected_version, template.version)
        changed = {
            name: value
            for name, value in changes.items()
            if name in EDITABLE_FIELDS and getattr(template, name) != value
        }
        if not changed:
            return template
        checked = dict(changed)
        if "generated_sql" in checked or "data_source" in checked:
            checked["generated_sql"] = changed.get("generated_sql", template.generated_sql)
            checked["data_source"] = changed.get("data_source", template.data_source)
        problems = validation.content_problems(checked)
        if problems:
            raise InvalidTemplate(problems)
        based_on = template.version
        values = {
            **changed,
            "version": based_on + 1,
            "updated_at": timezone.now(),
            "result_id": validation.result_id_of(changed.get("data_url", template.data_url)),
        }
        # The row lock holds on PostgreSQL; the version condition makes it hold everywhere.
        if not Template.objects.filter(pk=template_id, version=based_on).update(**values):
            current = Template.objects.get(pk=template_id).version
            raise VersionConflict(expected_version or based_on, current)
        for name, value in values.items():
            setattr(template, name, value)
        snapshot(template, actor, change)
        return template


def restore_version(
    template_id: uuid.UUID, actor: Any, version: int, *, expected_version: int | None
) -> Template:
    row = TemplateVersion.objects.filter(template_id=template_id, version=version).first()
    if row is None:
        raise VersionNotFound(f"Version {version} of this template does not exist.")
    content = {name: getattr(row, name) for name in CONTENT_FIELDS}
    return update_template(
        template_id,
        actor,
        content,
        expected_version=expected_version,
        change=f"restored version {version}",
    )


def delete_template(template: Template) -> None:
    template.delete()


def resolve_shares(shares: list[dict[str, Any]]) -> list[TemplateShare]:
    """Turn [{user|group, role}] into unsaved shares; unknown names are one 422 naming them all."""
    User = get_user_model()
    problems: list[str] = []
    resolved: dict[tuple[str, int], TemplateShare] = {}
    for share in shares:
        user_name, group_name, role = share.get("user"), share.get("group"), share["role"]
        if bool(user_name) == bool(group_name):
            problems.append("each share names exactly one of user or group")
            continue
        if role not in ShareRole.values:
            problems.append(f"unknown role {role!r}")
            continue
        if user_name:
            user = User.objects.filter(username=user_name, is_active=True).first()
            if user is None:
                problems.append(f"no such user: {user_name}")
                continue
            resolved[("user", user.pk)] = TemplateShare(user=user, role=role)
        else:
            group = Group.objects.filter(name=group_name).first()
            if group is None:
                problems.append(f"no such group: {group_name}")
                continue
            resolved[("group", group.pk)] = TemplateShare(group=group, role=role)
    if problems:
        raise InvalidShares(problems)
    return list(resolved.values())


@transaction.atomic
def set_shares(
    template: Template, actor: Any, shares: list[dict[str, Any]], visibility: str | None
) -> Template:
    """Replace the template's shares. Sharing a private template makes it `shared`."""
    new_shares = resolve_shares(shares)
    if visibility is None and new_shares and template.visibility == Visibility.PRIVATE:
        visibility = Visibility.SHARED
    TemplateShare.objects.filter(template=template).delete()
    for share in new_shares:
        share.template = template
    TemplateShare.objects.bulk_create(new_shares)
    if visibility is not None and visibility != template.visibility:
        template = update_template(
            template.pk,
            actor,
            {"visibility": visibility},
            expected_version=None,
            change=f"visibility {visibility}",
        )
    return template


def curate(templates: list[Template], actor: Any, change: str, **fields: Any) -> int:
    """Admin actions: set status/featured on many templates; returns how many changed."""
    changed = 0
    for template in templates:
        before = template.version
        after = update_template(template.pk, actor, fields, expected_version=None, change=change)
        changed += after.version != before
    return changed

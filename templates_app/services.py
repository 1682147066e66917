"""Writes to templates. Every change bumps `version` with a conditional UPDATE on the version it
was based on (so two concurrent editors cannot both win, on SQLite and PostgreSQL alike) and
records the new content as a TemplateVersion row. The functions that take the acting user first
(`save_template`, `edit_template`, ...) are what the API calls: they ask templates_app's
permissions before they write."""

from __future__ import annotations

import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInput, NotFound, PreconditionRequired
from executors import registry
from executors import services as executors_services
from executors.access import readable_result
from executors.errors import ExecutorError, ResultNotFound
from templates_app import permissions, run_sources, selectors, validation
from templates_app.errors import (
    InvalidShares,
    InvalidTemplate,
    InvalidThumbnail,
    ThumbnailForbidden,
    ThumbnailTooLarge,
    VersionConflict,
    VersionNotFound,
)
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
CURATION_FIELDS = permissions.CURATION_FIELDS
SHARING_FIELDS = permissions.SHARING_FIELDS
EDITABLE_FIELDS = CONTENT_FIELDS + CURATION_FIELDS + SHARING_FIELDS
MAX_VERSION = 2**31 - 1
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
    # A number no version can have is not looked up (it may not fit the database's integers).
    in_range = 1 <= version <= MAX_VERSION
    row = (
        TemplateVersion.objects.filter(template_id=template_id, version=version).first()
        if in_range
        else None
    )
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


# --- what users do through the API: permission first, then the write --------------------------

FULL_BODY_FIELDS = ("prompt", "generated_sql", "ui_code", "data_source")
META_FIELDS = ("title", "description", "tags", "visibility")
# A change's null means "leave unchanged" (generated clients send every field), except for
# data_url, where null is a value: the template has no stored result.
NULLABLE_CHANGES = frozenset({"data_url"})


def default_title(parameters: Any, prompt: str) -> str:
    """The title of a template that names none: its parameters' title, else its prompt."""
    title = parameters.get("title") if isinstance(parameters, dict) else None
    if isinstance(title, str) and title.strip():
        return title.strip()[: validation.MAX_TITLE_CHARS]
    return prompt.strip()[: validation.MAX_TITLE_CHARS]


def check_data_url(user: Any, data_url: str | None) -> None:
    """A template's readers may read the result it points at, so only attach results you can
    read yourself: otherwise a template would hand out someone else's data."""
    result_id = validation.result_id_of(data_url)
    if not result_id:
        return  # null, or malformed (refused by the content checks)
    try:
        readable_result(user, result_id)
    except ResultNotFound:
        raise InvalidTemplate(["data_url must point at a result you can read"]) from None


def data_source_of(engine_name: str) -> str:
    """The template data source ("spark" or "duckdb") of a configured engine, guessed from the
    name when the engine is not configured here."""
    try:
        engine = registry.get_engine(engine_name or None)
    except ExecutorError:
        return "spark" if "spark" in engine_name.lower() else "duckdb"
    return "spark" if engine.dialect == "spark" else "duckdb"


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _fields_from_run(user: Any, run_id: uuid.UUID) -> dict[str, Any]:
    run = run_sources.lookup(run_id, user)
    if run is None:
        raise NotFound("run not found", code="run_not_found")
    engine = run.get("engine") or ""
    result_id = run.get("result_id")
    return {
        "prompt": run.get("prompt") or "",
        "generated_sql": run.get("generated_sql") or "",
        "ui_code": run.get("ui_code") or "",
        "parameters": run.get("parameters") or {},
        "engine": engine,
        "data_source": run.get("data_source") or data_source_of(engine),
        "data_url": f"/api/data/{result_id}" if result_id else None,
        "conversation_id": run.get("conversation_id"),
    }


def _fields_from_body(user: Any, body: dict[str, Any]) -> dict[str, Any]:
    missing = [name for name in FULL_BODY_FIELDS if body.get(name) is None]
    if missing:
        raise InvalidInput(
            "Send run_id, or a full template with " + ", ".join(missing),
            code="invalid_template",
            detail={"missing": missing},
        )
    fields = {name: body[name] for name in (*FULL_BODY_FIELDS, "data_url")}
    fields["parameters"] = body.get("parameters") or {}
    fields["engine"] = body.get("engine") or ""
    check_data_url(user, fields["data_url"])
    return fields


def save_template(user: Any, body: dict[str, Any]) -> Template:
    """Save a template from one of the user's own chat runs (`run_id`), or from a full body."""
    permissions.check_can_create(user)
    run_id = body.get("run_id")
    meta = {name: body[name] for name in META_FIELDS}
    if run_id is not None:
        fields = _fields_from_run(user, run_id)
        conversation_id = fields.pop("conversation_id")
        # The parameters as the user tuned them, in the same first version.
        if body.get("parameters") is not None:
            fields["parameters"] = body["parameters"]
    else:
        fields, conversation_id = _fields_from_body(user, body), None
    meta["title"] = meta["title"] or default_title(fields["parameters"], fields["prompt"])
    return create_template(
        user,
        {**fields, **meta},
        change="saved from a chat run" if run_id else "created",
        source_run_id=run_id,
        source_conversation_id=_as_uuid(conversation_id),
    )


def edit_template(
    user: Any, template_id: uuid.UUID, changes: dict[str, Any], *, expected_version: int | None
) -> Template:
    """Apply a user's change to a template they can see, based on the version they have
    (required)."""
    template = selectors.visible_template(user, template_id)
    changes = {
        name: value
        for name, value in changes.items()
        if value is not None or name in NULLABLE_CHANGES
    }
    permissions.check_can_change(user, template, changes)
    if changes.get("data_url") and changes["data_url"] != template.data_url:
        check_data_url(user, changes["data_url"])
    if expected_version is None:
        raise PreconditionRequired(
            "Send the version you are changing, as If-Match or as `version` in the body.",
            code="version_required",
            detail={"current_version": template.version},
        )
    return update_template(template.pk, user, changes, expected_version=expected_version)


def remove_template(user: Any, template_id: uuid.UUID, *, expected_version: int | None) -> None:
    """Delete a template for a user who may, if it is still at the version they name (if any)."""
    template = selectors.visible_template(user, template_id)
    permissions.check_can_delete(user, template)
    if expected_version is not None and expected_version != template.version:
        raise VersionConflict(expected_version, template.version)
    delete_template(template)


def restore_template(
    user: Any, template_id: uuid.UUID, version: int, *, expected_version: int | None
) -> Template:
    template = selectors.visible_template(user, template_id)
    permissions.check_can_edit(user, template)
    return restore_version(template.pk, user, version, expected_version=expected_version)


def share_template(
    user: Any, template_id: uuid.UUID, shares: list[dict[str, Any]], visibility: str | None
) -> Template:
    """Replace who a template is shared with; for its owner and curators."""
    template = selectors.visible_template(user, template_id)
    permissions.check_can_share(user, template)
    return set_shares(template, user, shares, visibility)


def _refreshable(user: Any, template_id: uuid.UUID) -> Template:
    template = selectors.visible_template(user, template_id)
    permissions.check_can_refresh(user, template)
    return template


async def refresh_template(user: Any, template_id: uuid.UUID) -> executors_services.StoredResult:
    """Run the template's SQL now (through the SQL guard), as `user`, for a new result of theirs.
    The engine is the template's own, or Spark for a Spark template that names none."""
    template = await sync_to_async(_refreshable)(user, template_id)
    spark = template.data_source == "spark"
    return await executors_services.arun_for_user(
        user,
        template.generated_sql,
        engine_name=template.engine or ("spark" if spark else None),
        source_dialect="spark" if spark else "duckdb",
    )


# --- thumbnails: a picture of the chart, rendered by the browser's sandbox ---------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def thumbnail_max_bytes() -> int:
    return int(getattr(settings, "VIZORCH_THUMBNAIL_MAX_BYTES", 1024 * 1024))


def set_thumbnail(user: Any, template_id: uuid.UUID, image: bytes) -> TemplateVersion:
    """Store `image` (a PNG) with the template's current version. Its editors may replace the
    picture; whoever may view the template may fill in a missing one (the first browser to show
    the chart draws it), never overwrite it."""
    template = selectors.visible_template(user, template_id)
    current = template.versions.filter(version=template.version).first()
    if current is None:
        current = snapshot(template, None, "picture of the chart")
    has_picture = current.thumbnail is not None
    if has_picture and not permissions.can_edit(user, template):
        raise ThumbnailForbidden("Only the template's editors may replace its picture.")
    limit = thumbnail_max_bytes()
    if len(image) > limit:
        raise ThumbnailTooLarge(
            f"The picture is {len(image):,} bytes; at most {limit:,} are kept.",
            detail={"max_bytes": limit},
        )
    if not image.startswith(PNG_SIGNATURE):
        raise InvalidThumbnail("The picture must be a PNG image.")
    current.thumbnail = image
    current.save(update_fields=["thumbnail"])
    return current

"""Wire types of the templates API and of the template JSON format (export and bulk import).
These are exported as JSON Schema to the front end, so names are the ones it sees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

from core.schemas import BodyIn
from templates_app import permissions

DataSourceName = Literal["spark", "duckdb"]
StatusName = Literal["draft", "published", "archived"]
VisibilityName = Literal["private", "shared", "organization"]
ShareRoleName = Literal["viewer", "editor"]
OnConflict = Literal["skip", "update", "fail"]
ImportAction = Literal["create", "update", "unchanged", "skip", "invalid"]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class TemplateExportRecord(BaseModel):
    """One template in the export and bulk-import format: the nine fields of docs/templates.md,
    always present on export, then Vizorch's curation fields, optional on import."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    prompt: StrictStr
    generated_sql: StrictStr
    ui_code: StrictStr
    parameters: dict[str, Any]
    data_source: DataSourceName
    data_url: StrictStr | None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    title: StrictStr | None = None
    description: StrictStr | None = None
    tags: list[StrictStr] | None = None
    engine: StrictStr | None = None
    status: StatusName | None = None
    featured: StrictBool | None = None
    visibility: VisibilityName | None = None

    @field_validator("created_at", "updated_at", mode="before")
    @classmethod
    def _timestamp_text(cls, value: Any) -> Any:
        # JSON has no datetime: accept only ISO 8601 text with a zone, never numbers.
        if value is None or isinstance(value, datetime):
            return value
        if not isinstance(value, str):
            raise ValueError("must be an ISO 8601 timestamp string such as 2024-01-01T00:00:00Z")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from exc
        if parsed.tzinfo is None:
            raise ValueError("must include a time zone (end it with Z for UTC)")
        return parsed

    @field_validator("created_at", "updated_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)


class TemplateOut(Schema):
    """A template as the portal sees it, with what the caller may do with it."""

    id: uuid.UUID
    prompt: str
    generated_sql: str
    ui_code: str
    parameters: dict[str, Any]
    data_source: DataSourceName
    data_url: str | None
    created_at: datetime
    updated_at: datetime
    title: str
    description: str
    tags: list[str]
    owner: str | None = Field(description="Username of the owner; null for imported ones.")
    engine: str
    status: StatusName
    featured: bool
    visibility: VisibilityName
    version: int
    source_run_id: uuid.UUID | None
    source_conversation_id: uuid.UUID | None
    can_edit: bool = Field(description="The caller may change content, restore and delete.")
    can_share: bool = Field(description="The caller may change visibility and shares.")
    can_curate: bool = Field(description="The caller may publish, feature and archive.")
    thumbnail_url: str | None = Field(
        default=None, description="A PNG of the chart (the newest version that has one)."
    )
    thumbnail_current: bool = Field(
        default=False, description="The current version has its own picture."
    )

    # Validated from a `Template` row; what the caller may do is asked of templates_app's
    # permissions for the user of the request being answered.
    @staticmethod
    def resolve_owner(template: Any) -> str | None:
        return template.owner.get_username() if template.owner else None

    @staticmethod
    def resolve_tags(template: Any) -> list[str]:
        return list(template.tags)

    @staticmethod
    def resolve_can_edit(template: Any, context: dict[str, Any]) -> bool:
        return permissions.can_edit(_caller(context), template)

    @staticmethod
    def resolve_can_share(template: Any, context: dict[str, Any]) -> bool:
        return permissions.can_share(_caller(context), template)

    @staticmethod
    def resolve_can_curate(template: Any, context: dict[str, Any]) -> bool:
        return permissions.can_curate(_caller(context))

    @staticmethod
    def resolve_thumbnail_url(template: Any) -> str | None:
        from templates_app.selectors import thumbnail_version

        version = thumbnail_version(template)
        return None if version is None else f"/api/templates/{template.pk}/thumbnail?v={version}"

    @staticmethod
    def resolve_thumbnail_current(template: Any) -> bool:
        from templates_app.selectors import thumbnail_version

        return thumbnail_version(template) == template.version


def _caller(context: dict[str, Any] | None) -> Any:
    """The user a response is for (Ninja passes the request in the validation context)."""
    request = (context or {}).get("request")
    if request is None:
        raise ValueError("TemplateOut is validated for a request's user")
    return request.user


class TemplateListOut(Schema):
    items: list[TemplateOut]
    total: int
    page: int
    page_size: int


class TemplateCreateIn(BodyIn):
    """Save a template: from a chat run (`run_id`), or from a full body (`prompt`,
    `generated_sql`, `ui_code`, `parameters`, `data_source`, ...). A record in the template
    JSON format is a full body: without `title`, the title is `parameters.title` (else the
    prompt); its `id` and timestamps are not kept, the saved template is a new one."""

    run_id: uuid.UUID | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    visibility: VisibilityName = "private"
    prompt: str | None = None
    generated_sql: str | None = None
    ui_code: str | None = None
    parameters: dict[str, Any] | None = None
    data_source: DataSourceName | None = None
    engine: str | None = Field(default=None, max_length=64)
    data_url: str | None = Field(default=None, max_length=500)


class TemplatePatchIn(BodyIn):
    """Fields to change; `version` (or an `If-Match` header) is the version the change is based
    on. `status` and `featured` need the curator role; `visibility` the right to share."""

    version: int | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    tags: list[str] | None = Field(default=None, max_length=20)
    prompt: str | None = None
    generated_sql: str | None = None
    ui_code: str | None = None
    parameters: dict[str, Any] | None = None
    data_source: DataSourceName | None = None
    engine: str | None = Field(default=None, max_length=64)
    data_url: str | None = Field(default=None, max_length=500)
    status: StatusName | None = None
    featured: bool | None = None
    visibility: VisibilityName | None = None


class TemplateVersionOut(Schema):
    """One version of a template; validated from a `TemplateVersion` row."""

    version: int
    created_at: datetime
    author: str | None
    change: str
    title: str
    description: str
    tags: list[str]
    prompt: str
    generated_sql: str
    ui_code: str
    parameters: dict[str, Any]
    data_source: DataSourceName
    engine: str
    data_url: str | None
    status: StatusName
    featured: bool
    visibility: VisibilityName

    @staticmethod
    def resolve_author(row: Any) -> str | None:
        return row.author.get_username() if row.author else None

    @staticmethod
    def resolve_tags(row: Any) -> list[str]:
        return list(row.tags)


class ShareIn(BodyIn):
    """A grant to exactly one of `user` (a username) or `group` (a group name)."""

    user: str | None = None
    group: str | None = None
    role: ShareRoleName = "viewer"


class SharesIn(BodyIn):
    """The complete list of shares (it replaces the current one) and optionally the visibility.
    Sharing a private template makes it `shared`."""

    visibility: VisibilityName | None = None
    shares: list[ShareIn] = Field(default_factory=list, max_length=200)


class ShareOut(Schema):
    """One share; validated from a `TemplateShare` row."""

    user: str | None
    group: str | None
    role: ShareRoleName

    @staticmethod
    def resolve_user(share: Any) -> str | None:
        return share.user.get_username() if share.user else None

    @staticmethod
    def resolve_group(share: Any) -> str | None:
        return share.group.name if share.group else None


class SharesOut(Schema):
    visibility: VisibilityName
    shares: list[ShareOut]


class ImportRecordReport(Schema):
    """What the import did (or, in a dry run, would do) with one record."""

    index: int = Field(description="0-based position of the record in the upload.")
    id: str | None
    title: str | None = Field(default=None, description="The record's title, when it has one.")
    source: str | None = Field(description="File (inside a zip) and line the record came from.")
    action: ImportAction
    reasons: list[str] = Field(default_factory=list)


class ImportReportOut(Schema):
    ok: bool
    dry_run: bool
    written: bool
    on_conflict: OnConflict
    message: str
    total: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    invalid: int
    file_errors: list[str]
    records: list[ImportRecordReport]

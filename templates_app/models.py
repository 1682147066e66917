"""Saved charts: the template record of docs/templates.md plus ownership, sharing, curation and
a version history. The run and conversation a template came from are plain UUIDs, so this app
never depends on chat's tables."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone


class DataSource(models.TextChoices):
    DUCKDB = "duckdb", "DuckDB"
    SPARK = "spark", "Spark"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    SHARED = "shared", "Shared with chosen users and groups"
    ORGANIZATION = "organization", "Everyone in the organization"


class ShareRole(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"


class Template(models.Model):
    # The template format's fields, exactly (docs/templates.md).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    prompt = models.TextField()
    generated_sql = models.TextField()
    ui_code = models.TextField()
    parameters = models.JSONField(default=dict, blank=True)
    data_source = models.CharField(max_length=16, choices=DataSource.choices)
    # Null, not "": the spec's format says `"data_url": null` when there is no data.
    data_url = models.CharField(max_length=500, null=True, blank=True)  # noqa: DJ001
    # Not auto_now: an import keeps the timestamps of the record it restores.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # What the product adds.
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="templates",
    )
    engine = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    featured = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # The result `data_url` points at, so the data endpoint can find templates by result id.
    result_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    source_run_id = models.UUIDField(null=True, blank=True)
    source_conversation_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "id"]
        indexes = [
            models.Index(fields=["status", "visibility"]),
            models.Index(fields=["owner", "-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title or self.prompt[:60]


class TemplateVersion(models.Model):
    """The template's content as of one version, written by every change; restoring copies a
    row back. The row before version N is what N changed."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    change = models.CharField(max_length=200, blank=True, default="")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    prompt = models.TextField()
    generated_sql = models.TextField()
    ui_code = models.TextField()
    parameters = models.JSONField(default=dict, blank=True)
    data_source = models.CharField(max_length=16, choices=DataSource.choices)
    engine = models.CharField(max_length=64, blank=True, default="")
    data_url = models.CharField(max_length=500, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    featured = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # A PNG of the chart as this version draws it, rendered by a browser's sandbox (the server
    # never runs the component); a version without one shows the newest earlier picture.
    thumbnail = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="template_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.version}"


class TemplateShare(models.Model):
    """A grant of one template to one user or one group."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="template_shares",
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="template_shares"
    )
    role = models.CharField(max_length=16, choices=ShareRole.choices, default=ShareRole.VIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=False)
                ),
                name="template_share_user_xor_group",
            ),
            models.UniqueConstraint(
                fields=["template", "user"],
                condition=models.Q(user__isnull=False),
                name="template_share_user_unique",
            ),
            models.UniqueConstraint(
                fields=["template", "group"],
                condition=models.Q(group__isnull=False),
                name="template_share_group_unique",
            ),
        ]

    def __str__(self) -> str:
        who = self.user or self.group
        return f"{who} {self.role} of {self.template_id}"

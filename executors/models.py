"""One row per stored query result; the data itself is a Parquet file in the result directory."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models


class QueryResult(models.Model):
    SMALL = "small"
    LARGE = "large"
    SIZE_CHOICES = [(SMALL, "small"), (LARGE, "large")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="query_results",
    )
    engine = models.CharField(max_length=64)
    sql = models.TextField()
    tag = models.CharField(max_length=128, blank=True, default="")
    file_name = models.CharField(max_length=128)
    row_count = models.BigIntegerField(default=0)
    byte_size = models.BigIntegerField(default=0)
    # The Arrow schema as [{"name", "type"}], in column order.
    schema = models.JSONField(default=list)
    truncated = models.BooleanField(default=False)
    size = models.CharField(max_length=8, choices=SIZE_CHOICES, default=SMALL)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["owner", "-created"])]

    def __str__(self) -> str:
        return f"{self.id} ({self.engine}, {self.row_count} rows)"

    @property
    def path(self) -> Path:
        return Path(settings.VIZORCH_RESULTS_DIR) / self.file_name

    @property
    def url(self) -> str:
        return f"/api/data/{self.id}"

    @property
    def columns(self) -> list[dict[str, Any]]:
        return list(self.schema)

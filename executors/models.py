"""The executors app's rows: stored query results (the data itself is a Parquet file in the result
directory) and the semantic catalog of each engine, profiled and curated."""

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


# --- the semantic catalog (see executors/catalog/ and docs/catalog.md) --------------------------
#
# One Catalog per engine name. Tables and columns hold what the last profile found (`profile`, a
# JSON dump of the profiled SemanticTable / SemanticColumn, never edited by hand) next to the
# curators' fields (label, description, synonyms, hidden, and for columns role, aggregation and
# format; blank means "as profiled"). Relationships and metrics are rows too; a relationship's
# origin says whether the profile or a curator made it.


ROLE_CHOICES = [(r, r) for r in ("measure", "dimension", "time", "identifier", "geography", "text")]
AGGREGATION_CHOICES = [
    (a, a) for a in ("sum", "avg", "min", "max", "count", "count_distinct", "none")
]
FORMAT_CHOICES = [
    (f, f) for f in ("number", "integer", "currency", "percent", "date", "datetime", "text")
]
CARDINALITY_CHOICES = [
    (c, c.replace("_", " ")) for c in ("many_to_one", "one_to_one", "one_to_many", "many_to_many")
]
ORIGIN_CHOICES = [
    ("declared", "declared by the engine"),
    ("inferred_name", "inferred from names"),
    ("inferred_values", "inferred from values"),
    ("curated", "curated"),
]


class Catalog(models.Model):
    engine = models.CharField(max_length=64, unique=True)
    dialect = models.CharField(max_length=16, default="duckdb")
    schema_fingerprint = models.CharField(max_length=64, blank=True, default="")
    profiled_at = models.DateTimeField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)
    # Bumped by every change (profile or curation); `stamp` changes with it and is what process
    # caches compare, so a reused revision number after a rollback can never look current.
    revision = models.PositiveIntegerField(default=0)
    stamp = models.UUIDField(default=uuid.uuid4)
    # The curated layer's version: bumped by every curated change, one CatalogVersion each.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["engine"]
        verbose_name = "semantic catalog"

    def __str__(self) -> str:
        return f"{self.engine} catalog"


class CatalogTable(models.Model):
    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(max_length=255)
    position = models.PositiveIntegerField(default=0)
    profile = models.JSONField(default=dict, blank=True)
    # Not in the last profile (kept because it carries curated notes).
    missing = models.BooleanField(default=False)
    stale = models.BooleanField(default=False)
    label = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    synonyms = models.JSONField(default=list, blank=True)
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["catalog", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "name"], name="catalog_table_unique")
        ]
        verbose_name = "catalog table"

    def __str__(self) -> str:
        return f"{self.catalog.engine}: {self.name}"


class CatalogColumn(models.Model):
    table = models.ForeignKey(CatalogTable, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=255)
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=255, blank=True, default="")
    profile = models.JSONField(default=dict, blank=True)
    missing = models.BooleanField(default=False)
    stale = models.BooleanField(default=False)
    label = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    synonyms = models.JSONField(default=list, blank=True)
    hidden = models.BooleanField(default=False)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, blank=True, default="")
    default_aggregation = models.CharField(
        max_length=16, choices=AGGREGATION_CHOICES, blank=True, default=""
    )
    format = models.CharField(max_length=16, choices=FORMAT_CHOICES, blank=True, default="")

    class Meta:
        ordering = ["table", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["table", "name"], name="catalog_column_unique")
        ]
        verbose_name = "catalog column"

    def __str__(self) -> str:
        return f"{self.table.name}.{self.name}"


class CatalogRelationship(models.Model):
    """`from_table.from_column` references `to_table.to_column`. A curated row replaces whatever
    the profile infers from the same column; `removed` keeps an inferred join from coming back."""

    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="relationships")
    from_table = models.CharField(max_length=255)
    from_column = models.CharField(max_length=255)
    to_table = models.CharField(max_length=255, blank=True, default="")
    to_column = models.CharField(max_length=255, blank=True, default="")
    cardinality = models.CharField(
        max_length=16, choices=CARDINALITY_CHOICES, default="many_to_one"
    )
    origin = models.CharField(max_length=16, choices=ORIGIN_CHOICES, default="curated")
    removed = models.BooleanField(default=False)
    stale = models.BooleanField(default=False)

    class Meta:
        ordering = ["catalog", "from_table", "from_column"]
        verbose_name = "catalog relationship"

    def __str__(self) -> str:
        target = f"{self.to_table}.{self.to_column}" if self.to_table else "(removed)"
        return f"{self.from_table}.{self.from_column} → {target}"


class CatalogMetric(models.Model):
    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=255)
    expression = models.TextField()
    table = models.CharField(max_length=255)
    synonyms = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True, default="")
    format = models.CharField(max_length=16, choices=FORMAT_CHOICES, default="number")
    stale = models.BooleanField(default=False)

    class Meta:
        ordering = ["catalog", "name"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "name"], name="catalog_metric_unique")
        ]
        verbose_name = "catalog metric"

    def __str__(self) -> str:
        return self.name


class CatalogVersion(models.Model):
    """The curated layer of one catalog after a change, as the export document."""

    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    change = models.CharField(max_length=255, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["catalog", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["catalog", "number"], name="catalog_version_unique")
        ]
        verbose_name = "catalog version"

    def __str__(self) -> str:
        return f"{self.catalog.engine} v{self.number}"

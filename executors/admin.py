"""Curation of the semantic catalog in Django admin (curators only): table and column notes
(label, description, synonyms, hidden, role, aggregation, format) beside what the profile found,
relationships (add, correct, remove), named metrics, the version history with restore, and the
semantic model as one file (export action, import page with a dry run). Every saved change is
recorded as a CatalogVersion and reaches every process at its next read."""

from __future__ import annotations

from typing import Any

import sqlglot
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from core.roles import CURATOR, roles_of
from executors.catalog import document, services
from executors.errors import ExecutorError
from executors.models import (
    Catalog,
    CatalogColumn,
    CatalogMetric,
    CatalogRelationship,
    CatalogTable,
    CatalogVersion,
)

MAX_IMPORT_BYTES = 2 * 2**20


def is_curator(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser) or CURATOR in roles_of(user)


class CuratorOnly:
    """The catalog's admin pages are for curators, whatever Django model permissions say; rows
    the profile makes are never added or deleted by hand."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_curator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_curator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_curator(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SynonymsField(forms.CharField):
    """A list of words edited as one comma-separated line."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in text.split(",") if part.strip()]


SYNONYMS_HELP = "Words users say for it, separated by commas."


def _record(request: HttpRequest, catalog: Catalog, change: str) -> None:
    version = services.curated_change(catalog, request.user, change)
    messages.info(request, f"Saved as version {version.number} of the {catalog.engine} catalog.")


# --- tables and columns -------------------------------------------------------------------------


class CatalogColumnForm(forms.ModelForm):
    synonyms = SynonymsField(required=False, help_text=SYNONYMS_HELP)

    class Meta:
        model = CatalogColumn
        fields = (
            "label", "description", "synonyms", "hidden", "role", "default_aggregation", "format",
        )  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 40})}


class CatalogColumnInline(CuratorOnly, admin.TabularInline):
    model = CatalogColumn
    form = CatalogColumnForm
    extra = 0
    can_delete = False
    fields = (
        "name", "type", "profiled", "label", "description", "synonyms", "hidden", "role",
        "default_aggregation", "format", "stale",
    )  # fmt: skip
    readonly_fields = ("name", "type", "profiled", "stale")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CatalogColumn]:
        return super().get_queryset(request).order_by("position", "name")

    @admin.display(description="profiled as")
    def profiled(self, obj: CatalogColumn) -> str:
        p = obj.profile or {}
        if obj.missing:
            return "not in the data any more"
        facts = [
            f"{p.get('role', '?')}, {p.get('default_aggregation', 'none')}, {p.get('format', '')}",
            f"'{p.get('label', '')}'",
        ]
        if p.get("distinct_count") is not None:
            facts.append(
                f"{p['distinct_count']} distinct, {100 * (p.get('null_rate') or 0):.0f}% null"
            )
        if p.get("min") is not None:
            facts.append(f"{p.get('min')} … {p.get('max')}")
        if p.get("sample_values"):
            facts.append("e.g. " + ", ".join(p["sample_values"][:5]))
        return " · ".join(facts)


class CatalogTableForm(forms.ModelForm):
    synonyms = SynonymsField(required=False, help_text=SYNONYMS_HELP)

    class Meta:
        model = CatalogTable
        fields = ("label", "description", "synonyms", "hidden")


@admin.register(CatalogTable)
class CatalogTableAdmin(CuratorOnly, admin.ModelAdmin):
    form = CatalogTableForm
    inlines = (CatalogColumnInline,)
    list_display = ("name", "catalog", "row_count", "label", "hidden", "stale", "missing")
    list_filter = ("catalog", "hidden", "stale", "missing")
    search_fields = ("name", "label", "description", "columns__name", "columns__label")
    fields = ("catalog", "name", "profiled", "label", "description", "synonyms", "hidden", "stale")
    readonly_fields = ("catalog", "name", "profiled", "stale")

    @admin.display(description="rows")
    def row_count(self, obj: CatalogTable) -> Any:
        return (obj.profile or {}).get("row_count")

    @admin.display(description="profiled as")
    def profiled(self, obj: CatalogTable) -> str:
        p = obj.profile or {}
        parts = [f"'{p.get('label', obj.name)}'", f"{p.get('row_count')} rows"]
        if p.get("sampled_rows"):
            parts.append(f"statistics from a sample of {p['sampled_rows']} rows")
        if p.get("primary_key"):
            parts.append("key " + ", ".join(p["primary_key"]))
        if p.get("description"):
            parts.append(f"engine comment: {p['description']}")
        return " · ".join(parts)

    def save_model(self, request: HttpRequest, obj: CatalogTable, form: Any, change: bool) -> None:
        obj.stale = obj.missing  # reviewed by a curator
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for column in formset.save(commit=False):
            column.stale = column.missing  # a curator looked at it again
            column.save()
        formset.save_m2m()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _record(request, form.instance.catalog, f"edited table {form.instance.name}")


# --- relationships and metrics ------------------------------------------------------------------


class CatalogRelationshipForm(forms.ModelForm):
    class Meta:
        model = CatalogRelationship
        fields = (
            "catalog", "from_table", "from_column", "to_table", "to_column", "cardinality",
            "removed",
        )  # fmt: skip
        help_texts = {
            "removed": "Keep the profile from inferring a join from this column.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("removed") and not (data.get("to_table") and data.get("to_column")):
            raise forms.ValidationError(
                "Say which table and column it references, or tick removed."
            )
        return data


@admin.register(CatalogRelationship)
class CatalogRelationshipAdmin(CuratorOnly, admin.ModelAdmin):
    form = CatalogRelationshipForm
    list_display = ("__str__", "catalog", "cardinality", "origin", "removed", "stale")
    list_filter = ("catalog", "origin", "removed", "stale")
    search_fields = ("from_table", "from_column", "to_table", "to_column")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_curator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_curator(request.user)

    def save_model(
        self, request: HttpRequest, obj: CatalogRelationship, form: Any, change: bool
    ) -> None:
        obj.origin = "curated"  # a curator's word now, kept by every later profile
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _record(request, form.instance.catalog, f"saved relationship {form.instance}")

    def delete_model(self, request: HttpRequest, obj: CatalogRelationship) -> None:
        self._remove(obj)
        _record(request, obj.catalog, f"removed relationship {obj}")

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[CatalogRelationship]
    ) -> None:
        catalogs = {r.catalog for r in queryset}
        for relationship in list(queryset):
            self._remove(relationship)
        for catalog in catalogs:
            _record(request, catalog, "removed relationships")

    def _remove(self, obj: CatalogRelationship) -> None:
        """A curated join is deleted; an inferred one becomes a curated removal, or the next
        profile would bring it back."""
        if obj.origin == "curated":
            obj.delete()
        else:
            obj.origin, obj.removed = "curated", True
            obj.save(update_fields=["origin", "removed"])


class CatalogMetricForm(forms.ModelForm):
    synonyms = SynonymsField(required=False, help_text=SYNONYMS_HELP)

    class Meta:
        model = CatalogMetric
        fields = ("catalog", "name", "expression", "table", "synonyms", "description", "format")
        help_texts = {
            "expression": "A SQL aggregate, e.g. SUM(loans.fee) / COUNT(DISTINCT loans.member_id).",
            "table": "The table the metric is computed over (joined to the others it names).",
        }

    def clean_expression(self) -> str:
        expression: str = self.cleaned_data["expression"]
        catalog = self.cleaned_data.get("catalog")
        try:
            sqlglot.parse_one(expression, read=catalog.dialect if catalog else "duckdb")
        except sqlglot.errors.ParseError as exc:
            raise forms.ValidationError(f"Not valid SQL: {str(exc).splitlines()[0]}") from exc
        return expression


@admin.register(CatalogMetric)
class CatalogMetricAdmin(CuratorOnly, admin.ModelAdmin):
    form = CatalogMetricForm
    list_display = ("name", "catalog", "table", "expression", "format", "stale")
    list_filter = ("catalog", "format", "stale")
    search_fields = ("name", "expression", "description")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_curator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_curator(request.user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _record(request, form.instance.catalog, f"saved metric {form.instance.name}")

    def delete_model(self, request: HttpRequest, obj: CatalogMetric) -> None:
        catalog = obj.catalog
        super().delete_model(request, obj)
        _record(request, catalog, f"deleted metric {obj.name}")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CatalogMetric]) -> None:
        catalogs = {m.catalog for m in queryset}
        super().delete_queryset(request, queryset)
        for catalog in catalogs:
            _record(request, catalog, "deleted metrics")


# --- catalogs, versions, the file ---------------------------------------------------------------


class CatalogVersionInline(CuratorOnly, admin.TabularInline):
    model = CatalogVersion
    fields = ("number", "created", "author", "change")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Catalog)
class CatalogAdmin(CuratorOnly, admin.ModelAdmin):
    list_display = ("engine", "dialect", "version", "profiled_at", "tables")
    readonly_fields = (
        "engine", "dialect", "version", "revision", "schema_fingerprint", "profiled_at", "notes",
    )  # fmt: skip
    inlines = (CatalogVersionInline,)
    actions = ("export_yaml", "profile_again")
    change_list_template = "admin/executors/catalog/change_list.html"

    @admin.display(description="tables")
    def tables(self, obj: Catalog) -> str:
        url = reverse("admin:executors_catalogtable_changelist") + f"?catalog__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.tables.filter(missing=False).count())

    @admin.action(description="Export the semantic model (YAML)")
    def export_yaml(self, request: HttpRequest, queryset: QuerySet[Catalog]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Export one engine's catalog at a time.", messages.ERROR)
            return None
        catalog = queryset.get()
        response = HttpResponse(
            services.curated_document(catalog).to_yaml(), content_type="application/yaml"
        )
        response["Content-Disposition"] = f'attachment; filename="{catalog.engine}-catalog.yaml"'
        return response

    @admin.action(description="Profile the data again")
    def profile_again(self, request: HttpRequest, queryset: QuerySet[Catalog]) -> None:
        for catalog in queryset:
            try:
                services.refresh_catalog(catalog.engine)
            except ExecutorError as exc:
                self.message_user(request, f"{catalog.engine}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Profiled {catalog.engine} again.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="executors_catalog_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a catalog file, see what it changes, then confirm: the engine's curated layer
        is replaced as a whole, or not at all."""
        if not is_curator(request.user):
            raise PermissionDenied
        engines = list(Catalog.objects.values_list("engine", flat=True))
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a semantic catalog",
            "engines": engines,
            "engine": request.POST.get("engine") or (engines[0] if engines else ""),
        }
        if request.method == "POST":
            text = request.POST.get("text", "")
            upload = request.FILES.get("file")
            if upload is not None:
                if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
                    context["error"] = f"The file is larger than {MAX_IMPORT_BYTES} bytes."
                    return self._import_page(request, context)
                text = upload.read().decode("utf-8", errors="replace")
            engine = context["engine"]
            if engine not in engines:
                context["error"] = "Choose an engine that has a catalog."
            elif not text:
                context["error"] = "Choose a file."
            else:
                self._import(request, context, engine, text)
                if context.get("applied"):
                    return HttpResponseRedirect(reverse("admin:executors_catalog_changelist"))
        return self._import_page(request, context)

    def _import(
        self, request: HttpRequest, context: dict[str, Any], engine: str, text: str
    ) -> None:
        confirm = request.POST.get("confirm") == "1"
        dialect = Catalog.objects.get(engine=engine).dialect
        try:
            report = services.import_document(
                engine,
                document.parse(text, dialect=dialect),
                author=request.user,
                change="imported in admin",
                dry_run=not confirm,
            )
        except ExecutorError as exc:
            context["error"] = exc.message
            return
        context.update(report=report, text=text)
        if report.applied:
            self.message_user(
                request,
                f"Imported into {engine}: version {report.version}, "
                f"{len(report.differences)} changes.",
                messages.SUCCESS,
            )
            context["applied"] = True

    def _import_page(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        return TemplateResponse(request, "admin/executors/catalog/import.html", context)


@admin.register(CatalogVersion)
class CatalogVersionAdmin(CuratorOnly, admin.ModelAdmin):
    list_display = ("__str__", "catalog", "number", "created", "author", "change")
    list_filter = ("catalog",)
    readonly_fields = ("catalog", "number", "created", "author", "change", "document")
    actions = ("restore",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Restore the selected version")
    def restore(self, request: HttpRequest, queryset: QuerySet[CatalogVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Restore one version at a time.", messages.ERROR)
            return
        version = queryset.get()
        report = services.restore_version(version, request.user)
        self.message_user(
            request,
            f"Restored version {version.number} of {version.catalog.engine} as version "
            f"{report.version}."
            if report.applied
            else "That version is the current one.",
            messages.SUCCESS,
        )

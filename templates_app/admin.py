"""Curation in Django admin: list, filters and search, a read-only preview, publish / feature /
archive / export actions, the version history, and an "Import templates" page (upload, dry-run
report, confirm). Only curators (and superusers) may use any of it, by permissions.py."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import mark_safe

from core.errors import DomainError
from templates_app import importer, permissions, selectors, services, validation
from templates_app.models import Status, Template, TemplateShare, TemplateVersion

UPLOAD_TOKEN = re.compile(r"^[0-9a-f]{32}$")

# Drives the portal's sandbox iframe (frontend/src/sandbox/protocol.ts) from the admin page: once
# the sandbox says it is ready, send the component, its parameters and the stored result.
PREVIEW_SCRIPT = """<script>
(function () {
  const CHANNEL = "vizorch-sandbox/1";
  const payload = JSON.parse(document.getElementById("vz-preview-data").textContent);
  const frame = document.getElementById("vz-preview");
  const status = document.getElementById("vz-preview-status");
  const empty = { columns: [], rows: [] };
  const load = payload.data_url
    ? fetch(payload.data_url + "?format=json", { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : empty))
        .catch(() => empty)
    : Promise.resolve(empty);
  window.addEventListener("message", async (event) => {
    const message = event.data;
    if (event.source !== frame.contentWindow || !message || message.channel !== CHANNEL) return;
    if (message.type === "ready") {
      const result = await load;
      if (!payload.data_url) status.textContent = "No stored result: rendered with empty data.";
      frame.contentWindow.postMessage(
        { channel: CHANNEL, type: "render", renderId: 1, code: payload.code,
          params: payload.params, data: { format: "json", result }, theme: "light" },
        "*",
      );
    } else if (message.type === "error") {
      status.textContent = message.phase + " error: " + message.message;
    }
  });
})();
</script>"""


def _upload_dir() -> Path:
    directory = Path(settings.VAR_DIR) / "template_imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class CuratorOnly:
    """Admin pages of this app are for curators, whatever Django model permissions say."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_curate(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_curate(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_curate(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_curate(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TemplateVersionInline(CuratorOnly, admin.TabularInline):
    model = TemplateVersion
    fields = ("version", "created_at", "author", "change", "title", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TemplateShareInline(CuratorOnly, admin.TabularInline):
    model = TemplateShare
    fields = ("user", "group", "role")
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_curate(request.user)


class TemplateAdminForm(forms.ModelForm):
    class Meta:
        model = Template
        fields = (
            "title",
            "description",
            "tags",
            "owner",
            "status",
            "featured",
            "visibility",
            "prompt",
            "generated_sql",
            "ui_code",
            "parameters",
            "data_source",
            "engine",
            "data_url",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        changed = {name: cleaned[name] for name in self.changed_data if name in cleaned}
        if "generated_sql" in changed or "data_source" in changed:
            changed["generated_sql"] = cleaned.get("generated_sql", "")
            changed["data_source"] = cleaned.get("data_source", "duckdb")
        for problem in validation.content_problems(changed):
            self.add_error(None, problem)
        return cleaned


@admin.register(Template)
class TemplateAdmin(CuratorOnly, admin.ModelAdmin):
    form = TemplateAdminForm
    list_display = (
        "title",
        "status",
        "featured",
        "data_source",
        "engine",
        "owner",
        "visibility",
        "version",
        "updated_at",
    )
    list_filter = ("status", "featured", "data_source", "visibility", "engine")
    search_fields = ("title", "prompt", "description", "owner__username")
    list_select_related = ("owner",)
    ordering = ("-updated_at",)
    readonly_fields = (
        "id",
        "version",
        "created_at",
        "updated_at",
        "source_run_id",
        "source_conversation_id",
        "preview",
    )
    fieldsets = (
        (None, {"fields": ("id", "title", "description", "tags", "owner", "version")}),
        ("Curation", {"fields": ("status", "featured", "visibility")}),
        ("Preview", {"fields": ("preview",)}),
        (
            "Content",
            {
                "classes": ("collapse",),
                "fields": (
                    "prompt",
                    "generated_sql",
                    "ui_code",
                    "parameters",
                    "data_source",
                    "engine",
                    "data_url",
                ),
            },
        ),
        (
            "Origin",
            {"fields": ("created_at", "updated_at", "source_run_id", "source_conversation_id")},
        ),
    )
    inlines = (TemplateShareInline, TemplateVersionInline)
    actions = ("publish", "feature", "unfeature", "archive", "export_json")

    @admin.display(description="Preview (read-only)")
    def preview(self, obj: Template) -> str:
        payload = {"code": obj.ui_code, "params": obj.parameters, "data_url": obj.data_url}
        return format_html(
            "<p><strong>{}</strong> · {} · data: {}</p>"
            '<iframe id="vz-preview" src="/sandbox/" sandbox="allow-scripts" title="Chart preview"'
            ' style="width:100%;max-width:960px;height:420px;border:1px solid #ccc"></iframe>'
            '<p id="vz-preview-status"></p>{}{}'
            "<h4>Parameters</h4><pre>{}</pre><h4>SQL</h4><pre>{}</pre>"
            "<h4>Component</h4><pre style='max-height:30em;overflow:auto'>{}</pre>",
            obj.title,
            obj.data_source,
            obj.data_url or "none",
            json_script(payload, "vz-preview-data"),
            mark_safe(PREVIEW_SCRIPT),
            json.dumps(obj.parameters, indent=2, ensure_ascii=False),
            obj.generated_sql,
            obj.ui_code,
        )

    def save_model(self, request: HttpRequest, obj: Template, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        fields = {name: getattr(obj, name) for name in services.EDITABLE_FIELDS}
        updated = services.update_template(
            obj.pk, request.user, fields, expected_version=None, change="edited in admin"
        )
        if obj.owner_id != updated.owner_id:
            Template.objects.filter(pk=obj.pk).update(owner=obj.owner)
        obj.version, obj.updated_at = updated.version, updated.updated_at

    def _curate(
        self, request: HttpRequest, queryset: QuerySet[Template], change: str, **fields: Any
    ) -> None:
        try:
            count = services.curate(list(queryset), request.user, change, **fields)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{change.capitalize()}: {count} template(s) changed.")

    @admin.action(description="Publish selected templates")
    def publish(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self._curate(request, queryset, "published", status=Status.PUBLISHED)

    @admin.action(description="Feature selected templates")
    def feature(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self._curate(request, queryset, "featured", featured=True)

    @admin.action(description="Unfeature selected templates")
    def unfeature(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self._curate(request, queryset, "unfeatured", featured=False)

    @admin.action(description="Archive selected templates")
    def archive(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self._curate(request, queryset, "archived", status=Status.ARCHIVED, featured=False)

    @admin.action(description="Export selected templates as JSON")
    def export_json(self, request: HttpRequest, queryset: QuerySet[Template]) -> HttpResponse:
        response = HttpResponse(selectors.export_json(queryset), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="templates.json"'
        return response

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="templates_app_template_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a file, see what importing it would do record by record, then confirm."""
        if not permissions.can_import(request.user):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import templates",
            "on_conflict_choices": importer.ON_CONFLICT,
            "on_conflict": request.POST.get("on_conflict", "skip"),
        }
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm_import(request)
        if request.method == "POST":
            upload = request.FILES.get("file")
            on_conflict = context["on_conflict"]
            if upload is None or on_conflict not in importer.ON_CONFLICT:
                context["error"] = "Choose a file and what to do with existing ids."
            elif upload.size is not None and upload.size > importer.max_file_bytes():
                context["error"] = (
                    f"The file is {upload.size} bytes; the limit is {importer.max_file_bytes()}."
                )
            else:
                data = upload.read()
                report = importer.import_templates(
                    data,
                    filename=upload.name or "",
                    owner=request.user,
                    actor=request.user,
                    on_conflict=on_conflict,
                    dry_run=True,
                )
                context["report"] = report
                if report.ok:
                    token = secrets.token_hex(16)
                    (_upload_dir() / f"{token}.upload").write_bytes(data)
                    request.session[f"template_import_{token}"] = upload.name or ""
                    context["token"] = token
        return TemplateResponse(request, "admin/templates_app/template/import.html", context)

    def _confirm_import(self, request: HttpRequest) -> HttpResponse:
        token = request.POST.get("token", "")
        on_conflict = request.POST.get("on_conflict", "skip")
        session_key = f"template_import_{token}"
        changelist = reverse("admin:templates_app_template_changelist")
        stored = _upload_dir() / f"{token}.upload"
        if not UPLOAD_TOKEN.match(token) or session_key not in request.session:
            self.message_user(request, "That upload has expired; upload it again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:templates_app_template_import"))
        filename = request.session.pop(session_key)
        if on_conflict not in importer.ON_CONFLICT or not stored.exists():
            self.message_user(request, "That upload has expired; upload it again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:templates_app_template_import"))
        try:
            report = importer.import_templates(
                stored.read_bytes(),
                filename=filename,
                owner=request.user,
                actor=request.user,
                on_conflict=on_conflict,
            )
        finally:
            stored.unlink(missing_ok=True)
        level = messages.SUCCESS if report.ok else messages.ERROR
        self.message_user(request, report.message, level)
        return HttpResponseRedirect(changelist)

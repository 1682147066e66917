from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def template_grants_result(user: Any, result: Any) -> bool:
    """Readers of a template may read the result its data_url points at."""
    from templates_app.permissions import can_read_result

    return can_read_result(user, str(result.id))


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    verbose_name = "Templates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from executors.access import register_result_access_check

        register_result_access_check(template_grants_result)

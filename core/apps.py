from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor every app stands on: roles, authentication, API tokens, the domain error
    base and configuration parsing. It imports no other app of the project."""

    name = "core"
    verbose_name = "Vizorch core"
    default_auto_field = "django.db.models.BigAutoField"

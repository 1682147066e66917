from django.apps import AppConfig


class VizorchSiteConfig(AppConfig):
    name = "vizorch_site"
    verbose_name = "Vizorch"
    default_auto_field = "django.db.models.BigAutoField"

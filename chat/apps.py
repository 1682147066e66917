from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A misconfigured provider (unknown name, missing key) stops start-up with a message that
        # names the variable to set.
        from chat.agent.providers import parse_spec

        parse_spec()
        try:
            from templates_app import run_sources
        except ImportError:
            return
        from chat.services import run_source

        run_sources.register(run_source)

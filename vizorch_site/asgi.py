"""ASGI entry point served by daphne: HTTP through Django, plus the Channels run worker channel.

With the in-memory channel layer the run worker lives in this process (started by the chat app);
with Redis, `manage.py runworker vizorch.runs` runs it separately."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vizorch_site.settings")
django.setup(set_prefix=False)

from vizorch_site.handler import VizorchASGIHandler  # noqa: E402

# Django's ASGI application (what get_asgi_application() builds), with typed errors for
# requests it cannot build and streams on shared threads (vizorch_site/handler.py).
django_asgi_app = VizorchASGIHandler()

from channels.routing import ChannelNameRouter, ProtocolTypeRouter  # noqa: E402

from chat.consumers import worker_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "channel": ChannelNameRouter(worker_routes()),
    }
)

from core.collector import tune_for_serving  # noqa: E402

tune_for_serving()

"""The one NinjaAPI at /api/: project endpoints plus each app's router."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI

from chat.api import router as chat_router
from core.auth import api_auth
from core.roles import roles_of
from core.schemas import ErrorOut
from executors.api import router as executors_router
from templates_app.api import router as templates_router
from vizorch_site.errors import install_error_handlers
from vizorch_site.health import check_all
from vizorch_site.schemas import HealthOut, MeOut

api = NinjaAPI(
    title="Vizorch API",
    version="1",
    description="Ask questions of your data and get live charts back.",
    auth=api_auth,
    docs_url="/docs",
    urls_namespace="api",
)
install_error_handlers(api)


@api.get("/health", auth=None, response={200: HealthOut, 503: HealthOut}, tags=["system"])
async def health(request: HttpRequest) -> tuple[int, HealthOut]:
    """State of the database, the channel layer and each data engine; 503 names what is down."""
    components = await check_all()
    ok = all(component.ok for component in components)
    return (200 if ok else 503), HealthOut(status="ok" if ok else "degraded", components=components)


@api.get("/me", response={200: MeOut, 401: ErrorOut}, tags=["system"])
def me(request: HttpRequest) -> MeOut:
    """Who is signed in and with which roles."""
    user = request.user
    return MeOut(username=user.get_username(), roles=roles_of(user), is_staff=user.is_staff)


api.add_router("", executors_router)
api.add_router("", chat_router)
api.add_router("", templates_router)

"""The one NinjaAPI at /api/: project endpoints plus each app's router."""

from __future__ import annotations

from typing import Any

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

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
# Answers any operation can give besides the ones it declares, each a typed ErrorOut body.
COMMON_ERRORS = {
    "401": "Not signed in, or an unknown or revoked token.",
    "422": "The request's parameters or body are not valid.",
    "429": "Too many failed sign-in or token attempts from this address; see Retry-After.",
}
BODY_ERRORS = {
    "400": "The body cannot be read (not JSON, not UTF-8, a broken multipart form).",
    "413": "The request body is over the size limit.",
}


class VizorchAPI(NinjaAPI):
    """The API with an OpenAPI document that names every error answer an operation can give
    (so a client, or a fuzzer checking conformance, knows every 4xx is an ErrorOut)."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                _declare_errors(operation)
        return schema


def _declare_errors(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    errors = dict(COMMON_ERRORS) if operation.get("security") else {"422": COMMON_ERRORS["422"]}
    if "requestBody" in operation:
        errors |= BODY_ERRORS
    for status, description in errors.items():
        responses.setdefault(
            status,
            {"description": description, "content": {"application/json": {"schema": ERROR_REF}}},
        )


api = VizorchAPI(
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

"""HTTP endpoints of the templates_app app, mounted under /api/ by vizorch_site.api."""

from ninja import Router

router = Router(tags=["templates"])

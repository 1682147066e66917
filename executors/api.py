"""HTTP endpoints of the executors app, mounted under /api/ by vizorch_site.api."""

from ninja import Router

router = Router(tags=["executors"])

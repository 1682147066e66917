"""HTTP endpoints of the chat app, mounted under /api/ by vizorch_site.api."""

from ninja import Router

router = Router(tags=["chat"])

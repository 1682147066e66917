"""Schemas of the project-level endpoints."""

from __future__ import annotations

from typing import Literal

from ninja import Schema


class MeOut(Schema):
    username: str
    roles: list[str]
    is_staff: bool


class ComponentHealth(Schema):
    name: str
    ok: bool
    detail: str = ""


class HealthOut(Schema):
    status: Literal["ok", "degraded"]
    components: list[ComponentHealth]

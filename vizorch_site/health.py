"""Liveness of the parts the product needs: database, channel layer, data engines."""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

from executors.registry import all_engines
from vizorch_site.schemas import ComponentHealth

PROBE_TIMEOUT_S = 3.0
# Shorter than a caller's usual 2 s: with PostgreSQL's pool a connection that cannot be made is
# retried by the pool until its own (much longer) timeout, and health must answer before that.
DATABASE_PROBE_TIMEOUT_S = 1.5


def _database() -> ComponentHealth:
    pool = getattr(connection, "pool", None)
    try:
        if pool is not None:
            pool.open(wait=False)
            with pool.connection(timeout=DATABASE_PROBE_TIMEOUT_S) as pooled:
                pooled.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        return ComponentHealth(name="database", ok=True, detail=connection.vendor)
    except Exception as exc:
        return ComponentHealth(name="database", ok=False, detail=str(exc).splitlines()[0])
    finally:
        connection.close()


async def _channel_layer() -> ComponentHealth:
    layer = get_channel_layer()
    if layer is None:
        return ComponentHealth(name="channel_layer", ok=False, detail="no channel layer configured")
    kind = type(layer).__name__
    try:
        # A round trip through the layer proves it can carry run events, not just accept a socket.
        channel = await asyncio.wait_for(layer.new_channel("health."), PROBE_TIMEOUT_S)
        token = uuid.uuid4().hex
        await asyncio.wait_for(layer.send(channel, {"type": "health", "t": token}), PROBE_TIMEOUT_S)
        message = await asyncio.wait_for(layer.receive(channel), PROBE_TIMEOUT_S)
        ok = message.get("t") == token
        return ComponentHealth(name="channel_layer", ok=ok, detail=kind)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ComponentHealth(name="channel_layer", ok=False, detail=f"{kind}: {reason}")


def _engines() -> list[ComponentHealth]:
    checks = []
    for engine in all_engines():
        try:
            health = engine.health()
            checks.append(
                ComponentHealth(name=f"engine:{engine.name}", ok=health.ok, detail=health.detail)
            )
        except Exception as exc:
            checks.append(ComponentHealth(name=f"engine:{engine.name}", ok=False, detail=str(exc)))
    return checks


async def check_all() -> list[ComponentHealth]:
    database = await sync_to_async(_database, thread_sensitive=False)()
    layer = await _channel_layer()
    engines = await sync_to_async(_engines, thread_sensitive=False)()
    return [database, layer, *engines]

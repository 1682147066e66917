"""The channel layer as the run pipeline calls it. Every call that holds one of the layer's
Redis connections for its length (send, group_send, group_add, group_discard) waits for its turn
beyond `LAYER_CALLS` at once in a process: channels-redis's pool holds 100 connections and
redis-py fails the 101st call ("Too many connections") instead of waiting, so a burst of 200
streams lost some of them. Receives are not bounded: channels-redis serves all of a process's
own channels from one receive loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")

# Well below the pool's 100, leaving room for its receive loop and the run listener.
LAYER_CALLS = 50

_slots: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


async def bounded(call: Awaitable[T]) -> T:
    """Await a channel-layer call once fewer than LAYER_CALLS others are in flight."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(LAYER_CALLS)
    async with slots:
        return await call

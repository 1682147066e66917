"""The embedded channel layer still drops expired messages, and the channels that held them
leave their groups, though it sweeps at most once a second."""

from __future__ import annotations

import asyncio

from core.memory_layer import SweepingInMemoryChannelLayer


def test_an_expired_message_is_swept_with_its_channel_s_group_membership() -> None:
    async def scenario() -> None:
        layer = SweepingInMemoryChannelLayer(expiry=0.05, sweep_interval_s=1.0)
        await layer.group_add("run", "stream.one")
        await layer.group_send("run", {"type": "event"})  # sweeps: nothing has expired yet
        assert "stream.one" in layer.channels
        await asyncio.sleep(0.1)
        await layer.group_send("run", {"type": "event"})  # expired, but within the interval
        assert "stream.one" in layer.groups["run"]
        await asyncio.sleep(1.0)
        await layer.group_send("run", {"type": "event"})
        assert "stream.one" not in layer.channels
        assert "stream.one" not in layer.groups.get("run", {})

    asyncio.run(scenario())

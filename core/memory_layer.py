"""The embedded default's channel layer: channels' in-memory layer, sweeping expired messages at
most once a second.

Channels' layer sweeps every channel and every group on each `receive` and `group_send`. A burst
of 200 streams makes thousands of those calls while 200 channels are open, so the sweeps alone
grew with the square of the burst (py-spy: a twentieth of the process's time in a burst of 200).
Messages expire after a minute; sweeping once a second removes them as surely, at most a second
later."""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer

SWEEP_INTERVAL_S = 1.0


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args: Any, sweep_interval_s: float = SWEEP_INTERVAL_S, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sweep_interval_s = sweep_interval_s
        self._next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_interval_s
        super()._clean_expired()

"""`manage.py runworker vizorch.runs`: Channels' worker command with Vizorch's run worker, whose
listener survives Redis errors, which takes over the runs of workers that stopped, and which
SIGTERM drains: queued runs go to the other workers, running ones finish (VIZORCH_RUN_DRAIN_S)
or are handed over. This app
comes before `channels` in INSTALLED_APPS, so this command is the one `runworker` runs."""

from __future__ import annotations

from typing import Any

from channels.management.commands.runworker import Command as ChannelsRunWorker

from chat.consumers import StandaloneRunWorker
from core.collector import tune_for_serving


class Command(ChannelsRunWorker):
    help = "Run the Vizorch run worker on the given channels (e.g. vizorch.runs)."
    worker_class = StandaloneRunWorker

    def handle(self, *args: Any, **options: Any) -> None:
        tune_for_serving()
        super().handle(*args, **options)

"""`manage.py runworker vizorch.runs`: Channels' worker command with Vizorch's run worker, whose
listener survives Redis errors and which takes over the runs of workers that stopped. This app
comes before `channels` in INSTALLED_APPS, so this command is the one `runworker` runs."""

from __future__ import annotations

from channels.management.commands.runworker import Command as ChannelsRunWorker

from chat.consumers import RunWorker


class Command(ChannelsRunWorker):
    help = "Run the Vizorch run worker on the given channels (e.g. vizorch.runs)."
    worker_class = RunWorker

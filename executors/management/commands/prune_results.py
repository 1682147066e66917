"""Delete expired query results: their Parquet files and their rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from executors.results import prune_expired


class Command(BaseCommand):
    help = "Delete expired query results (files and rows) and orphaned result files."

    def handle(self, *args: Any, **options: Any) -> None:
        rows, files = prune_expired()
        self.stdout.write(f"Pruned {rows} expired results and {files} files.")

"""Build or refresh the semantic catalog of every engine (or one) from its data."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from executors import registry
from executors.catalog import services
from executors.engines.base import Progress
from executors.errors import ExecutorError


class Command(BaseCommand):
    help = "Profile the data of every engine (or --engine NAME) into its semantic catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--engine", help="Only this engine (default: every engine).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            engines = (
                [registry.get_engine(options["engine"])]
                if options["engine"]
                else registry.all_engines()
            )
        except ExecutorError as exc:
            raise CommandError(exc.message) from exc
        failed = []
        for engine in engines:
            started = time.monotonic()
            with tqdm(desc=engine.name, unit="table", file=self.stderr, leave=True) as bar:

                def step(progress: Progress, bar: tqdm = bar) -> None:
                    bar.total = progress.total
                    bar.n = progress.done
                    bar.set_postfix_str(progress.stage, refresh=True)

                try:
                    catalog = services.refresh_catalog(engine=engine, on_progress=step)
                except ExecutorError as exc:
                    failed.append(f"{engine.name}: {exc.message}")
                    continue
                bar.n = bar.total or 0
                bar.refresh()
            tables = catalog.tables.filter(missing=False).count()
            relationships = catalog.relationships.filter(removed=False).count()
            self.stdout.write(
                f"{engine.name}: {tables} tables, {relationships} relationships profiled in "
                f"{time.monotonic() - started:.1f}s."
            )
            for note in catalog.notes:
                self.stdout.write(f"  note: {note}")
        if failed:
            raise CommandError("Could not profile " + "; ".join(failed))

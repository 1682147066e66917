"""Replace one engine's curated semantic model with a YAML or JSON file, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from executors import registry
from executors.catalog import document, services
from executors.errors import ExecutorError
from executors.models import Catalog


class Command(BaseCommand):
    help = (
        "Import a semantic catalog file: it replaces the engine's curated layer as a whole. "
        "--dry-run only shows the differences."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The catalog file (YAML or JSON).")
        parser.add_argument("--engine", help="Engine name (default: the file's, else the default).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            engine = registry.get_engine(options["engine"] or _named_engine(text))
            dialect = Catalog.objects.filter(engine=engine.name).values_list("dialect", flat=True)
            parsed = document.parse(text, dialect=dialect.first() or engine.dialect)
            report = services.import_document(
                engine.name,
                parsed,
                change=f"imported {path.name}",
                dry_run=options["dry_run"],
            )
        except ExecutorError as exc:
            raise CommandError(exc.message) from exc
        for line in report.differences:
            self.stdout.write(line)
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if not report.differences:
            self.stdout.write(f"The {engine.name} catalog already matches {path.name}.")
        elif report.applied:
            self.stdout.write(
                f"Imported {path.name} into the {engine.name} catalog: version {report.version}, "
                f"{len(report.differences)} changes."
            )
        else:
            self.stdout.write(f"Dry run: {len(report.differences)} changes, nothing imported.")


def _named_engine(text: str) -> str | None:
    """The engine the file names, when it parses at all (the full check comes after)."""
    try:
        engine = document.parse(text).engine
    except ExecutorError:
        return None
    return engine

"""Bulk-import templates from a JSON array, NDJSON or .zip file: all records or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from templates_app import importer


class Command(BaseCommand):
    help = (
        "Import templates (JSON array, NDJSON or .zip). Every record is checked first; one "
        "invalid record and nothing is written. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument("--owner", help="Username that owns newly created templates.")
        parser.add_argument(
            "--on-conflict",
            choices=importer.ON_CONFLICT,
            default="skip",
            help="What to do when a different template with the same id exists (default skip).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        size = path.stat().st_size
        if size > importer.max_file_bytes():
            raise CommandError(
                f"{path} is {size} bytes; the import limit is {importer.max_file_bytes()} bytes"
            )
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No such user: {options['owner']}")
        report = importer.import_templates(
            path.read_bytes(),
            filename=path.name,
            owner=owner,
            actor=owner,
            on_conflict=options["on_conflict"],
            dry_run=options["dry_run"],
        )
        for problem in report.file_errors:
            self.stderr.write(problem)
        for record in report.records:
            if record.reasons:
                where = f" ({record.source})" if record.source else ""
                self.stderr.write(
                    f"record {record.index}{where} id={record.id or '?'}: "
                    + "; ".join(record.reasons)
                )
            elif options["verbosity"] > 1:
                self.stdout.write(f"record {record.index} id={record.id}: {record.action}")
        if not report.ok:
            raise CommandError(report.message)
        self.stdout.write(report.message)

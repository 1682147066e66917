"""Export templates as a JSON array in the template format (the input of import_templates)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from templates_app.models import Status, Template
from templates_app.selectors import export_json


class Command(BaseCommand):
    help = "Export templates as a JSON array (all of them, or the given ids or status)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", type=Path, help="File to write (default stdout).")
        parser.add_argument("--ids", help="Comma-separated template ids.")
        parser.add_argument("--status", choices=Status.values, help="Only templates in a status.")

    def handle(self, *args: Any, **options: Any) -> None:
        templates = Template.objects.all()
        if options["ids"]:
            try:
                ids = [uuid.UUID(part.strip()) for part in options["ids"].split(",") if part]
            except ValueError as exc:
                raise CommandError(f"Not a template id: {exc}") from None
            templates = templates.filter(pk__in=ids)
            missing = set(ids) - set(templates.values_list("pk", flat=True))
            if missing:
                raise CommandError("No such template: " + ", ".join(sorted(map(str, missing))))
        if options["status"]:
            templates = templates.filter(status=options["status"])
        text = export_json(templates)
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {templates.count()} templates to {options['output']}")
        else:
            self.stdout.write(text, ending="")

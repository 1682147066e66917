"""Write one engine's curated semantic model (the curators' layer) as a YAML or JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from executors import registry
from executors.catalog import services
from executors.errors import ExecutorError
from executors.models import Catalog


class Command(BaseCommand):
    help = "Export an engine's curated semantic catalog (YAML by default, JSON for *.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--engine", help="Engine name (default: the default engine).")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            name = registry.get_engine(options["engine"]).name
        except ExecutorError as exc:
            raise CommandError(exc.message) from exc
        catalog = Catalog.objects.filter(engine=name).first()
        if catalog is None:
            raise CommandError(f"The {name} engine has no catalog yet: run profile_catalog.")
        document = services.curated_document(catalog)
        output = options["output"]
        if output and output.endswith(".json"):
            text = json.dumps(document.dump(), indent=2, ensure_ascii=False) + "\n"
        else:
            text = document.to_yaml()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote the {name} catalog (version {catalog.version}) to {output}.")
        else:
            self.stdout.write(text, ending="")

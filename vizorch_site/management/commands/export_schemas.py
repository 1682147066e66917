"""Write the JSON Schema of every API model to one file; the front end generates its TypeScript
types and Zod schemas from it (`make types`), so the backend's Pydantic models stay the one source
of truth."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from pydantic import BaseModel

# Modules whose Pydantic models cross the wire (HTTP bodies and SSE payloads).
SCHEMA_MODULES = (
    "vizorch_site.schemas",
    "core.schemas",
    "executors.schemas",
    "chat.events",
    "chat.schemas",
    "templates_app.schemas",
)


def exported_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {}
    for module_name in SCHEMA_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseModel)
                and value.__module__ == module_name
                and not name.startswith("_")
            ):
                if name in models and models[name] is not value:
                    raise ValueError(f"Two API models are named {name}: rename one.")
                models[name] = value
    return dict(sorted(models.items()))


def schema_document() -> dict[str, Any]:
    return {
        name: model.model_json_schema(mode="serialization")
        for name, model in exported_models().items()
    }


class Command(BaseCommand):
    help = (
        "Export the API's Pydantic models as JSON Schema (input of the front end's type generator)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        output.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(schema_document(), indent=2, sort_keys=True) + "\n"
        output.write_text(text)
        self.stdout.write(f"Wrote {len(schema_document())} schemas to {output}")

"""Idempotent demo set-up: the demo users in their roles, the demo dataset and a first gallery
of curated templates (the offline analyst answers the demo's featured questions as the curator)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.roles import ANALYST, CURATOR, VIEWER

DEMO_USERS = (("analyst", ANALYST), ("curator", CURATOR), ("viewer", VIEWER))


class Command(BaseCommand):
    help = "Create the demo users (analyst, curator, viewer) and the demo dataset; safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=settings.VIZORCH_DEMO_SCALE,
            help="Demo data size; 1.0 is about 1M order items.",
        )
        parser.add_argument("--tpch", type=float, metavar="SF", help="Also load TPC-H at SF.")
        parser.add_argument("--no-data", action="store_true", help="Only create the users.")
        parser.add_argument(
            "--no-gallery", action="store_true", help="Do not seed the featured templates."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._ensure_users()
        if not options["no_data"]:
            demo = self._ensure_data(options["scale"], options["tpch"])
            if demo and not options["no_gallery"]:
                self._ensure_gallery()

    def _ensure_users(self) -> None:
        password = os.environ.get("VIZORCH_DEMO_PASSWORD")
        created = []
        User = get_user_model()
        for username, role in DEMO_USERS:
            user, was_created = User.objects.get_or_create(username=username)
            if was_created:
                user_password = password or secrets.token_urlsafe(9)
                user.set_password(user_password)
                user.is_staff = role == CURATOR
                user.save()
                created.append((username, user_password))
            elif password and not user.check_password(password):
                user.set_password(password)
                user.save()
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        for username, user_password in created:
            shown = "(from VIZORCH_DEMO_PASSWORD)" if password else user_password
            self.stdout.write(f"Created demo user {username} with password {shown}")
        if not created:
            self.stdout.write("Demo users already exist.")

    def _ensure_data(self, scale: float, tpch: float | None) -> bool:
        """Generate the demo dataset only at the default path and only when it is absent; a
        DuckDB file of the user's own is never written to. Then profile the local engine and,
        on the demo, seed its curated catalog (once: curators' later edits are kept)."""
        from executors import demo_data

        path = Path(settings.VIZORCH_DUCKDB_PATH)
        default = Path(settings.VIZORCH_DUCKDB_DEFAULT_PATH)
        if path.exists():
            demo = demo_data.has_demo_tables(path)
            if demo:
                self.stdout.write(f"Demo dataset already present in {path}.")
            else:
                self.stdout.write(f"Using your DuckDB file {path} (left as it is).")
        elif path.resolve() == default.resolve():
            demo_data.ensure_demo_database(path, scale=scale)
            demo = True
            self.stdout.write(f"Generated the demo dataset in {path} (scale {scale}).")
        else:
            raise CommandError(
                f"VIZORCH_DUCKDB_PATH points at {path}, which does not exist. Point it at an "
                "existing DuckDB file, or unset it to use the demo dataset."
            )
        if tpch:
            if not demo:
                raise CommandError("--tpch adds TPC-H to the demo dataset only, not to your file.")
            demo_data.load_tpch(path, tpch)
            self.stdout.write(f"Loaded TPC-H SF {tpch} into {path}.")
        self._profile(demo)
        return demo

    def _ensure_gallery(self) -> None:
        """Each featured question of the demo's gallery file, asked once as the curator through
        the product's run path, saved from its run, published to everyone and featured. A
        question the curator has a template for already (even archived) is left alone."""
        import yaml

        from executors.demo_data import GALLERY_PATH
        from templates_app.models import Template

        curator = get_user_model().objects.get(username="curator")
        entries = (yaml.safe_load(GALLERY_PATH.read_text(encoding="utf-8")) or {}).get(
            "featured_questions"
        ) or []
        made = 0
        for entry in entries:
            question = str(entry["question"])
            if Template.objects.filter(owner=curator, prompt=question).exists():
                continue
            if self._seed_template(curator, question, str(entry.get("description") or "")):
                made += 1
        if made:
            self.stdout.write(f"Seeded {made} featured templates for the gallery.")
        else:
            self.stdout.write("The gallery's featured templates already exist.")

    def _seed_template(self, curator: Any, question: str, description: str) -> bool:
        from asgiref.sync import async_to_sync

        from chat import services as chat_services
        from chat.models import Run
        from templates_app import services as template_services
        from templates_app.models import Visibility

        run = chat_services.start_chat_run(curator, question)
        async_to_sync(_drive)(str(run.id))
        run.refresh_from_db()
        if run.status != Run.Status.SUCCEEDED or not run.ui_code:
            self.stderr.write(f"Not seeded: {question!r} ({run.error_message or run.status}).")
            return False
        template = template_services.save_template(
            curator,
            {
                "run_id": run.id,
                "title": str(((run.parameters or {}).get("values") or {}).get("title") or ""),
                "description": description,
                "tags": ["demo"],
                "visibility": Visibility.ORGANIZATION,
            },
        )
        template_services.curate(
            [template], curator, "seeded the demo gallery", status="published", featured=True
        )
        return True

    def _profile(self, demo: bool) -> None:
        from executors.catalog import document, services
        from executors.demo_data import CATALOG_PATH
        from executors.errors import ExecutorError

        try:
            catalog = services.refresh_catalog("local")
        except ExecutorError as exc:
            raise CommandError(f"Could not profile the local engine: {exc.message}") from exc
        tables = catalog.tables.filter(missing=False).count()
        self.stdout.write(f"Profiled the local engine: {tables} tables.")
        if demo and catalog.version == 0:
            curated = document.parse(CATALOG_PATH.read_text(encoding="utf-8"))
            services.import_document("local", curated, change="seeded the demo dataset's catalog")
            self.stdout.write("Seeded the demo dataset's curated catalog.")


async def _drive(run_id: str) -> None:
    """Drive a run to its end here, telling the worker someone listens (as an open stream does)."""
    import asyncio

    from channels.db import database_sync_to_async

    from chat import conf
    from chat import services as chat_services
    from chat.consumers import drive_run

    task = asyncio.ensure_future(drive_run(run_id))
    while not task.done():
        await database_sync_to_async(chat_services.touch_listener)(run_id)
        await asyncio.wait({task}, timeout=conf.listener_touch_s())
    await task

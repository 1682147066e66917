"""Idempotent demo set-up: the demo users in their roles and the demo dataset."""

from __future__ import annotations

import os
import secrets
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

    def handle(self, *args: Any, **options: Any) -> None:
        self._ensure_users()
        if not options["no_data"]:
            self._ensure_data(options["scale"], options["tpch"])

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

    def _ensure_data(self, scale: float, tpch: float | None) -> None:
        from executors import demo_data

        path = settings.VIZORCH_DUCKDB_PATH
        try:
            generated = demo_data.ensure_demo_database(path, scale=scale)
        except RuntimeError as exc:
            raise CommandError(f"{exc} Set VIZORCH_DUCKDB_PATH to another file.") from exc
        if generated:
            self.stdout.write(f"Generated the demo dataset in {path} (scale {scale}).")
        else:
            self.stdout.write(f"Demo dataset already present in {path}.")
        if tpch:
            demo_data.load_tpch(path, tpch)
            self.stdout.write(f"Loaded TPC-H SF {tpch} into {path}.")

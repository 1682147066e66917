"""Issue a personal API token for a user; the token is printed once and only its hash is kept."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.tokens import issue_token, revoke_token


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME (or --revoke PREFIX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")
        parser.add_argument("--revoke", metavar="PREFIX", help="Revoke the token with PREFIX.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["revoke"]:
            if not revoke_token(options["revoke"]):
                raise CommandError(f"No active token with prefix {options['revoke']!r}.")
            self.stdout.write(f"Revoked token {options['revoke']}.")
            return
        if not options["username"]:
            raise CommandError("Give a username (or --revoke PREFIX).")
        try:
            user = get_user_model().objects.get_by_natural_key(options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        token = issue_token(user, name=options["name"])
        self.stderr.write("Store this token now; it cannot be shown again.")
        self.stdout.write(token)

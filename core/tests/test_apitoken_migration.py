"""Moving ApiToken and the roles into `core` keeps what an installation already has: a PostgreSQL
database migrated as the project stood before `core` existed keeps its tokens (they still sign
in), its token permissions and its groups after migrating to today's code."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from vizorch_site.testing import BASE_DIR

SECRET = "s3cret-of-the-old-token"
TOKEN = f"vz_0ldt0k3n000_{SECRET}"


@pytest.fixture
def old_database(postgres_url: str) -> Iterator[str]:
    """A database of its own, on the real server, dropped afterwards."""
    name = f"vz_migration_{uuid.uuid4().hex[:10]}"
    server = postgres_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _pre_core_database(database_url: str) -> None:
    """Every app at the migration it had before `core`; vizorch_site still owning ApiToken."""
    for app, leaf in (
        ("vizorch_site", "0002_roles"),
        ("executors", "0001_initial"),
        ("templates_app", "0001_initial"),
        ("chat", "0002_run_worker_seen_at"),
    ):
        _manage(database_url, "migrate", app, leaf, "--no-input")
    with psycopg.connect(database_url, autocommit=True) as db:
        # What that project's full `migrate` created after its migrations (post_migrate).
        content_type = db.execute(
            "INSERT INTO django_content_type (app_label, model)"
            " VALUES ('vizorch_site', 'apitoken') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        for action in ("add", "change", "delete", "view"):
            db.execute(
                "INSERT INTO auth_permission (name, content_type_id, codename) VALUES (%s, %s, %s)",
                (f"Can {action} api token", content_type, f"{action}_apitoken"),
            )
        user_id = db.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined) VALUES"
            " ('!', false, 'old-analyst', '', '', '', false, true, now()) RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        analyst = db.execute("SELECT id FROM auth_group WHERE name = 'Analyst'").fetchone()
        assert analyst is not None, "the pre-core roles migration created the groups"
        db.execute(
            "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
            (user_id, analyst[0]),
        )
        db.execute(
            "INSERT INTO vizorch_site_apitoken (name, prefix, secret_hash, created_at, user_id)"
            " VALUES ('old', '0ldt0k3n000', %s, now(), %s)",
            (hashlib.sha256(SECRET.encode()).hexdigest(), user_id),
        )


def _content_types(database_url: str) -> dict[tuple[str, str], int]:
    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT app_label, model, id FROM django_content_type WHERE model = 'apitoken'"
        ).fetchall()
    return {(app, model): pk for app, model, pk in rows}


def test_existing_tokens_groups_and_permissions_survive_the_move_to_core(
    old_database: str,
) -> None:
    _pre_core_database(old_database)
    before = _content_types(old_database)
    assert set(before) == {("vizorch_site", "apitoken")}

    _manage(old_database, "migrate", "--no-input")

    after = _content_types(old_database)
    assert after == {("core", "apitoken"): before[("vizorch_site", "apitoken")]}
    with psycopg.connect(old_database) as db:
        permissions = db.execute(
            "SELECT codename FROM auth_permission WHERE content_type_id = %s ORDER BY codename",
            (after[("core", "apitoken")],),
        ).fetchall()
        tables = {
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE '%%apitoken'"
            ).fetchall()
        }
    assert [row[0] for row in permissions] == [
        "add_apitoken",
        "change_apitoken",
        "delete_apitoken",
        "view_apitoken",
    ]
    assert tables == {"core_apitoken"}
    # The old token still signs its user in, with the role it had.
    out = _manage(
        old_database,
        "shell",
        "-c",
        "from core.tokens import user_for_token; from core.roles import roles_of; "
        f"user = user_for_token({TOKEN!r}); print(user.username, roles_of(user))",
    )
    assert out.strip().splitlines()[-1] == "old-analyst ['Analyst']"

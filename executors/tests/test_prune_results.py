"""`manage.py prune_results` deletes expired results (file and row) and keeps the others."""

from __future__ import annotations

import datetime as dt
import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from executors import services
from executors.models import QueryResult


@pytest.mark.django_db
def test_prune_deletes_expired_results_and_keeps_live_ones(executor_settings: Any) -> None:
    old = services.execute_query("SELECT 1 AS a").record
    live = services.execute_query("SELECT 2 AS a").record
    assert old is not None and live is not None
    QueryResult.objects.filter(id=old.id).update(expires=timezone.now() - dt.timedelta(hours=1))

    out = StringIO()
    call_command("prune_results", stdout=out)

    assert "Pruned 1 expired results" in out.getvalue()
    assert not old.path.exists()
    assert not QueryResult.objects.filter(id=old.id).exists()
    assert live.path.exists()
    assert QueryResult.objects.filter(id=live.id).exists()


@pytest.mark.django_db
def test_prune_removes_day_old_orphan_files_only(executor_settings: Any) -> None:
    kept = services.execute_query("SELECT 1 AS a").record
    assert kept is not None
    results_dir = Path(executor_settings.VIZORCH_RESULTS_DIR)
    orphan = results_dir / "3f1c2d9e-0000-4000-8000-000000000000.parquet"
    fresh_orphan = results_dir / "3f1c2d9e-0000-4000-8000-000000000001.parquet"
    orphan.write_bytes(b"left by a crash")
    orphan_parts = results_dir / "spark-0123abcd"
    orphan_parts.mkdir()
    (orphan_parts / "part-00000.parquet").write_bytes(b"half a job")
    fresh_orphan.write_bytes(b"being written right now")
    two_days_ago = (timezone.now() - dt.timedelta(days=2)).timestamp()
    os.utime(orphan, (two_days_ago, two_days_ago))
    os.utime(orphan_parts, (two_days_ago, two_days_ago))
    os.utime(kept.path, (two_days_ago, two_days_ago))

    call_command("prune_results", stdout=StringIO())

    assert not orphan.exists()
    assert not orphan_parts.exists()
    assert fresh_orphan.exists()
    assert kept.path.exists()

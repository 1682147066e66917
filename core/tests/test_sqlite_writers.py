"""The embedded database's writers (core/sqlite/base.py): the threads of one process that write
at once take turns, every write lands, and a transaction that fails or whose connection closes
holds up no one after it. Run in a process of its own on the embedded defaults (SQLite under its
var directory), as `make run` has it, whatever database the test run itself uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vizorch_site.testing import BASE_DIR

WRITERS = 12
WRITES_EACH = 25

SCRIPT = f"""
import json, threading
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE turns (writer INTEGER, n INTEGER)")
errors = []

def writer(index):
    try:
        for n in range({WRITES_EACH}):
            if n % 2:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("INSERT INTO turns VALUES (%s, %s)", [index, n])
            else:  # a write outside a transaction
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO turns VALUES (%s, %s)", [index, n])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

def failing():
    for _ in range(5):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO turns VALUES (-1, 0)")
                raise RuntimeError("the transaction fails")
        except RuntimeError:
            pass

def closing():
    # The connection goes away inside its transaction (a lost thread, a server stopping).
    for _ in range(5):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("INSERT INTO turns VALUES (-2, 0)")
                connection.close()
        except Exception:
            pass
    connection.close()

threads = [threading.Thread(target=writer, args=(i,)) for i in range({WRITERS})]
threads += [threading.Thread(target=failing), threading.Thread(target=closing)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT writer, COUNT(*) FROM turns GROUP BY writer")
    counts = dict(cursor.fetchall())
print(json.dumps({{"errors": errors, "counts": {{str(k): v for k, v in counts.items()}}}}))
"""


def test_writers_of_one_process_all_land_and_a_failed_transaction_holds_up_no_one(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "VIZORCH_VAR_DIR": str(tmp_path), "DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # A lock left held by the failed or closed transactions would make every later writer wait
    # out its busy timeout and fail with "database is locked".
    assert outcome["errors"] == []
    assert outcome["counts"] == {str(i): WRITES_EACH for i in range(WRITERS)}

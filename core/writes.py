"""Several writes in one round trip to the database.

A stream's first frame waits for its conversation, its run and the run's first event to be
written. As three ORM statements in a transaction that is five round trips (BEGIN, three
INSERTs, COMMIT), and a burst of 200 streams starting at once waits on all of them. On
PostgreSQL the writes go as one statement instead: each but the last is a data-modifying `WITH`
query, which PostgreSQL runs with the last, all or none, and foreign keys are checked at the
end of the statement. Other databases (SQLite has no writes inside `WITH`) get the same writes
in one transaction.

The SQL is the ORM's own (its insert and update compilers), so a field added to a model is
written without a change here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connections, router, transaction
from django.db.models import Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery


@dataclass(frozen=True)
class Insert:
    """A new row: `obj` as `obj.save(force_insert=True)` would write it (its auto-increment id,
    if it has one, is not read back)."""

    obj: Model


@dataclass(frozen=True)
class Update:
    """`rows.update(**values)`."""

    rows: QuerySet[Any]
    values: dict[str, Any] = field(default_factory=dict)


Write = Insert | Update


def write_together(writes: Sequence[Write], *, using: str | None = None) -> None:
    """All of `writes` or none, in one round trip where the database allows it."""
    if not writes:
        return
    alias = using or router.db_for_write(_model_of(writes[0]))
    connection = connections[alias]
    if connection.vendor != "postgresql":
        with transaction.atomic(using=alias):
            for write in writes:
                _write_alone(write, alias)
        return
    statements = [_sql(write, connection) for write in writes]
    *leading, (last_sql, last_params) = statements
    sql = last_sql
    params: list[Any] = []
    if leading:
        sql = (
            "WITH "
            + ", ".join(f"vz_write_{i} AS ({each})" for i, (each, _) in enumerate(leading))
            + " "
            + last_sql
        )
        for _, each_params in leading:
            params.extend(each_params)
    params.extend(last_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for write in writes:
        if isinstance(write, Insert):
            write.obj._state.adding = False
            write.obj._state.db = alias


def _model_of(write: Write) -> type[Model]:
    return type(write.obj) if isinstance(write, Insert) else write.rows.model


def _write_alone(write: Write, alias: str) -> None:
    if isinstance(write, Insert):
        write.obj.save(force_insert=True, using=alias)
    else:
        write.rows.using(alias).update(**write.values)


def _sql(write: Write, connection: Any) -> tuple[str, Sequence[Any]]:
    if isinstance(write, Update):
        query = cast(UpdateQuery, write.rows.query.chain(UpdateQuery))
        query.add_update_values(write.values)
        sql, params = query.get_compiler(connection=connection).as_sql()
        return sql, params
    obj = write.obj
    meta = obj._meta
    pk_set = obj.pk is not None  # a default (a UUID) is set when the object is made
    fields = [
        f
        for f in meta.local_concrete_fields
        if not f.generated and (pk_set or f is not meta.auto_field)
    ]
    insert = InsertQuery(type(obj))
    insert.insert_values(fields, [obj])
    [(sql, params)] = insert.get_compiler(connection=connection).as_sql()
    return sql, params

"""Several writes in one round trip to the database.

A stream's first frame waits for its conversation, its run and the run's first event to be
written. As three ORM statements in a transaction that is five round trips (BEGIN, three
INSERTs, COMMIT), and a burst of 200 streams starting at once waits on all of them. On
PostgreSQL the writes go as one statement instead: each but the last is a data-modifying `WITH`
query, which PostgreSQL runs with the last, all or none, and foreign keys are checked at the
end of the statement. Other databases (SQLite has no writes inside `WITH`) get the same writes
in one transaction.

The SQL is the ORM's own (its insert and update compilers), so a field added to a model is
written without a change here. An INSERT's SQL depends only on its model, its fields and the
database, so it is compiled once and each new row sends only its values: compiling it was half
the cost of a stream start. A row whose values include an expression is compiled whole, as the
ORM would. Writes go straight to the database: no `pre_save`/`post_save` signals are sent."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connections, router, transaction
from django.db.models import Field, Model, QuerySet
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
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            for write in writes:
                if isinstance(write, Insert):
                    cursor.execute(*_insert_sql(write.obj, connection))
                else:
                    write.rows.using(alias).update(**write.values)
    else:
        statements = [_sql(write, connection) for write in writes]
        *leading, (sql, _) = statements
        if leading:
            named = ", ".join(f"vz_write_{i} AS ({each})" for i, (each, _) in enumerate(leading))
            sql = f"WITH {named} {sql}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [p for _, params in statements for p in params])
    for write in writes:
        if isinstance(write, Insert):
            write.obj._state.adding = False
            write.obj._state.db = alias


def _model_of(write: Write) -> type[Model]:
    return type(write.obj) if isinstance(write, Insert) else write.rows.model


def _sql(write: Write, connection: Any) -> tuple[str, Sequence[Any]]:
    if isinstance(write, Insert):
        return _insert_sql(write.obj, connection)
    query = cast(UpdateQuery, write.rows.query.chain(UpdateQuery))
    query.add_update_values(write.values)
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, params


# (model, whether its primary key is given, database alias) -> the SQL of its INSERT for a row
# of plain values, one placeholder each; filled on first use.
_insert_statements: dict[tuple[type[Model], bool, str], str] = {}


def _insert_sql(obj: Model, connection: Any) -> tuple[str, list[Any]]:
    """`obj`'s INSERT and its parameters, as the ORM's insert compiler makes them."""
    model = type(obj)
    pk_set = obj.pk is not None  # a default (a UUID) is set when the object is made
    fields = _insert_fields(model, pk_set)
    values = [f.pre_save(obj, add=True) for f in fields]  # as save() does: sets auto_now fields
    plain = not any(hasattr(v, "resolve_expression") for v in values)
    key = (model, pk_set, connection.alias)
    sql = _insert_statements.get(key) if plain else None
    if sql is not None:
        return sql, [
            f.get_db_prep_save(v, connection=connection)
            for f, v in zip(fields, values, strict=True)
        ]
    insert = InsertQuery(model)
    insert.insert_values(fields, [obj])
    [(sql, params)] = insert.get_compiler(connection=connection).as_sql()
    # A field with its own placeholder (get_placeholder) may write it differently per value.
    if plain and not any(hasattr(f, "get_placeholder") for f in fields):
        _insert_statements[key] = sql
    return sql, list(params)


@functools.cache
def _insert_fields(model: type[Model], pk_set: bool) -> list[Field[Any, Any]]:
    meta = model._meta
    return [
        f
        for f in meta.local_concrete_fields
        if not f.generated and (pk_set or f is not meta.auto_field)
    ]

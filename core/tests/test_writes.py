"""Several writes in one round trip (core/writes.py): all of them or none."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection
from django.db.models import Value
from django.db.models.functions import Upper
from django.test.utils import CaptureQueriesContext

from core.models import ApiToken
from core.writes import Insert, Update, write_together

pytestmark = pytest.mark.django_db


def _token(user: User, prefix: str) -> ApiToken:
    return ApiToken(user=user, name=prefix, prefix=prefix, secret_hash="0" * 64)


def test_writes_are_one_statement_on_postgres(postgres_url: str, analyst: User) -> None:
    with CaptureQueriesContext(connection) as queries:
        write_together(
            [
                Update(User.objects.filter(pk=analyst.pk), {"first_name": "Ana"}),
                Insert(_token(analyst, "first")),
                Insert(_token(analyst, "second")),
            ]
        )
    assert len(queries) == 1
    analyst.refresh_from_db()
    assert analyst.first_name == "Ana"
    assert sorted(analyst.api_tokens.values_list("prefix", flat=True)) == ["first", "second"]
    # What the database set is on the objects too, as after save().
    assert all(t.created_at is not None for t in analyst.api_tokens.all())


@pytest.mark.django_db(transaction=True)
def test_a_refused_write_undoes_the_others(analyst: User) -> None:
    with pytest.raises(IntegrityError):
        write_together(
            [
                Update(User.objects.filter(pk=analyst.pk), {"first_name": "Ana"}),
                Insert(_token(analyst, "twice")),
                Insert(_token(analyst, "twice")),  # the prefix is unique
            ]
        )
    analyst.refresh_from_db()
    assert analyst.first_name == ""
    assert not ApiToken.objects.exists()


def test_rows_with_and_without_expressions_of_one_model_are_written_right(analyst: User) -> None:
    # The INSERT of a plain row is compiled once and reused; a row with an expression among its
    # values is compiled on its own, and must not leave its SQL behind for the plain rows.
    names_given: list[tuple[str, Any]] = [
        ("plain1", "one"),
        ("expr", Upper(Value("two"))),
        ("plain2", "three"),
    ]
    for prefix, name in names_given:
        token = _token(analyst, prefix)
        token.name = name
        write_together([Insert(token)])
        assert not token._state.adding
    names = dict(analyst.api_tokens.values_list("prefix", "name"))
    assert names == {"plain1": "one", "expr": "TWO", "plain2": "three"}

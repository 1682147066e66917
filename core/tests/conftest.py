from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User


@pytest.fixture
def analyst(db: None) -> User:
    user = User.objects.create_user("ana", password="pw-ana-123456")
    user.groups.add(Group.objects.get_or_create(name="Analyst")[0])
    return user

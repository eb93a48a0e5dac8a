"""What the collection tests share: a ``Collections`` on the ``database`` fixture (SQLite and PostgreSQL) and one
collection of three units in it."""

from __future__ import annotations

import pytest

from selfscore.collect.service import Collections
from support.collection_web import UNITS
from support.helpers import TABLE_IDS


@pytest.fixture
def collections(database):
    return Collections(database)


@pytest.fixture
def collection(collections):
    return collections.create("焦作市2020年度城镇保障性安居工程绩效自评", 2020, [TABLE_IDS[0]], UNITS)

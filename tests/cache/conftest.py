"""These tests need one database only: SQLite copied from a migrated template (fast).
Tests that must run on PostgreSQL use the ``postgres`` fixture explicitly."""

from __future__ import annotations

import pytest


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url

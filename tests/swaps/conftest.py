"""These tests need one database only: SQLite copied from a migrated template (fast).
Tests that must run on PostgreSQL use the ``postgres`` fixture explicitly.

The app's clock reads 2026-06-01 here, before the sample schedule's shifts start: swaps of
shifts already worked are refused, and the tests below swap shifts that have not begun."""

from __future__ import annotations

import pytest

from tests.support.clock import SAMPLE_SCHEDULE_NOT_STARTED


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture(autouse=True)
def before_the_sample_schedule(request: pytest.FixtureRequest) -> None:
    if "app" in request.fixturenames:
        request.getfixturevalue("app").state.services.clock.use(lambda: SAMPLE_SCHEDULE_NOT_STARTED)

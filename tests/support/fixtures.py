"""Session fixtures for real servers, and the skip-locally / fail-in-CI policy.

Register from ``tests/conftest.py`` with::

    pytest_plugins = ["tests.support.fixtures"]

Policy: a component that is not installed makes its tests *skip* on a developer machine
but *fail* when ``CI=true`` -- nothing silently skips in CI.  Call
:func:`require_component` at the top of a test or fixture; a
:class:`~tests.support.servers.ComponentUnavailable` raised by a ``*_server()`` helper
inside a test or fixture is converted by the hooks below in the same way.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any, NoReturn

import pytest

from tests.support.servers import (
    Component,
    ComponentUnavailable,
    PostgresServer,
    RedisServer,
    check_available,
    postgres_server,
    redis_server,
)

__all__ = ["component_unavailable", "in_ci", "postgres", "redis", "require_component"]


def in_ci() -> bool:
    """True when the ``CI`` environment variable is ``true`` (also ``1``/``yes``)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def component_unavailable(reason: str | ComponentUnavailable) -> NoReturn:
    """Skip the current test, or fail it under ``CI=true``."""
    if in_ci():
        pytest.fail(f"{reason} [CI=true: a missing component fails, it never skips]", False)
    pytest.skip(str(reason))


def require_component(name: Component) -> None:
    """Skip (locally) or fail (``CI=true``) unless component ``name`` can be started."""
    try:
        check_available(name)
    except ComponentUnavailable as exc:
        component_unavailable(exc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except ComponentUnavailable as exc:
        component_unavailable(exc)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    try:
        return (yield)
    except ComponentUnavailable as exc:
        component_unavailable(exc)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL 15 cluster for the session (database ``scheduler_test``).

    ``postgres.dsn()`` -> ``postgresql+asyncpg://postgres@127.0.0.1:PORT/scheduler_test``;
    use ``postgres.create_database(name)`` for an isolated per-test database.
    """
    require_component("postgres")
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    """One ``redis-server`` for the session; ``redis.url`` is ``redis://127.0.0.1:PORT/0``."""
    require_component("redis")
    with redis_server() as server:
        yield server

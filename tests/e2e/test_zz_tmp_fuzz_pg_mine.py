"""Schemathesis against the app's own OpenAPI schema: every operation, signed in as each role,
with valid input, invalid input, and valid input naming seeded records: not one server error.

Bounded and reproducible: a fixed number of derandomized examples per operation and pass, no
shrinking, no example database. The app runs in-process (its lifespan started) on an event loop
of its own (a blocking portal), and schemathesis only generates the requests and checks the
answers, so a run needs no server and no network.

Settings for the run, not exclusions: rate limits are raised far above what the run sends (a
429 would hide what lies behind it), and so are the lockout thresholds; generation jobs are
queued for an external worker (the API is fuzzed, not the solver). Before each operation the
signed-in user gets back its role and active flag (an admin may fuzz them away).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import numpy  # noqa: F401  # imported whole now: see below
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from sqlalchemy import update

from app.auth.models import Role, User
from app.core.config import Settings
from app.main import create_app
from tests.support.api import API, api_client, bearer, create_person_row, create_user
from tests.support.lifespan import start, stop
from tests.support.schedules import schedule_file

# numpy: generation jobs import it lazily in a worker thread, and hypothesis looks at a numpy
# it finds in sys.modules; half imported there, that look fails ("partially initialized module").

BASE_URL = "http://testserver"
MAX_EXAMPLES = 10  # per operation, per pass, per role
SEEDED_ID = 1  # a person, user, shift, leave and academic year with this id exist
CHECKS: list[CheckFunction] = [not_a_server_error]
# Not (yet) response_schema_conformance: naive timestamps are sent without an offset (not
# RFC 3339 "date-time"), and the app's own 422s carry ``{"detail": "text"}`` where the schema
# documents FastAPI's list of validation errors.
EXAMPLES = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def fuzz_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        rate_limit_api="1000000/minute",
        rate_limit_login="1000000/minute",
        lockout_threshold=100,
        lockout_account_threshold=10_000,
        generation_worker="external",  # jobs are queued, not solved here: minutes of CPU
    )


class FuzzedApp:
    """The app running on the portal's event loop, with one signed-in user of ``role``."""

    def __init__(self, portal: BlockingPortal, database_url: str, role: Role) -> None:
        self.portal = portal
        self.role = role
        self.app: FastAPI = portal.call(start, create_app(fuzz_settings(database_url)))
        self.user_id, self.person_id = portal.call(self._sign_up)
        self.headers = bearer(self.app, self.user_id, role, self.person_id)
        portal.call(self._seed)
        self.client: httpx.AsyncClient = portal.call(self._client)
        self.statuses: Counter[int] = Counter()

    async def _sign_up(self) -> tuple[int, int | None]:
        person_id = None
        if self.role is Role.RESIDENT:
            person_id = await create_person_row(self.app, "r-self")
        return await create_user(self.app, self.role, person_id=person_id), person_id

    async def _seed(self) -> None:
        """People, an academic year, shifts and leave to find (ids 1, 2, ...)."""
        admin = await create_user(self.app, Role.ADMIN)
        async with api_client(self.app, bearer(self.app, admin, Role.ADMIN)) as client:
            response = await client.post(f"{API}/schedule/import", json=schedule_file())
            assert response.status_code == 200, response.text

    async def _client(self) -> httpx.AsyncClient:
        return api_client(self.app)

    async def restore_user(self) -> None:
        async with self.app.state.services.database.session() as session:
            await session.execute(
                update(User)
                .where(User.id == self.user_id)
                .values(role=self.role, active=True, person_id=self.person_id, locked_until=None)
            )

    async def send(self, kwargs: dict[str, Any]) -> httpx.Response:
        """Send what schemathesis prepared for ``requests`` with httpx."""
        if cookies := kwargs.pop("cookies", None):
            kwargs["headers"]["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = kwargs.pop("data", None)
        if isinstance(data, bytes | str):
            kwargs["content"] = data
        elif data is not None:
            kwargs["data"] = data
        response = await self.client.request(**kwargs)
        self.statuses[response.status_code] += 1
        return response

    def close(self) -> None:
        self.portal.call(self.client.aclose)
        self.portal.call(stop, self.app)


@pytest.fixture(scope="module")
def operations() -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_dict(create_app(Settings(environment="test")).openapi())
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as running:
        yield running


def passes(operation: schemathesis.APIOperation) -> dict[str, Any]:
    """How ``operation`` is fuzzed: valid input, invalid input, and valid input naming the
    seeded records (random ids almost never name one: those runs mostly see a 404)."""
    found = {
        "positive": operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        "negative": operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    }
    if names := re.findall(r"{(\w+)}", operation.path):
        found["seeded ids"] = operation.as_strategy(
            generation_mode=GenerationMode.POSITIVE,
            path_parameters=dict.fromkeys(names, SEEDED_ID),
        )
    return found


def fuzz(target: FuzzedApp, strategy: Any) -> None:
    @EXAMPLES
    @given(case=strategy)
    def run(case: Case) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
        kwargs["headers"].update(target.headers)
        response = target.portal.call(functools.partial(target.send, kwargs))
        case.validate_response(response, checks=CHECKS)

    with contextlib.suppress(Unsatisfiable):  # no invalid input to an operation without any
        run()


@pytest.mark.parametrize("role", list(Role))
def test_no_operation_answers_a_server_error(
    role: Role,
    operations: list[schemathesis.APIOperation],
    portal: BlockingPortal,
    sqlite_url: str,
) -> None:
    target = FuzzedApp(portal, sqlite_url, role)
    failures: list[str] = []
    try:
        for operation in operations:
            for name, strategy in passes(operation).items():
                portal.call(target.restore_user)
                try:
                    fuzz(target, strategy)
                except (Exception, BaseExceptionGroup) as exc:  # every failing operation, at once
                    failures.append(f"{operation.label} ({name}): {exc}")
    finally:
        target.close()
    assert not failures, "\n\n".join(failures)
    # The run reached the operations' code: signed in, some answers were successes
    assert sum(n for status, n in target.statuses.items() if status < 300) > len(operations)


@pytest.fixture
async def sqlite_url(postgres: Any) -> str:
    import itertools

    from app.db.migrate import upgrade_database

    url = postgres.create_database(f"fuzz_{id(object())}")
    await upgrade_database(url)
    return url

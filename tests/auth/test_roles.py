"""The permission of each endpoint, role by role; refusals are 403, audited and announced."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.events import AccessDenied, SuspiciousActivity
from tests.support.api import API, api_client, create_person_row, create_shift, signed_in_headers
from tests.support.events import captured
from tests.support.schedules import schedule_file

ROLES = ("admin", "coordinator", "faculty", "resident")
EVERYONE = set(ROLES)
EDITORS = {"admin", "coordinator"}
STAFF = {"admin", "coordinator", "faculty"}
ADMINS = {"admin"}
RESIDENTS = {"resident"}

SHIFT = {"start": "2026-07-10T07:00", "end": "2026-07-10T19:00", "kind": "day"}
MISSING = 999_999  # no such record: an admitted caller gets 404/422, a refused one 403

# (method, path, json body, roles admitted) for every operation under /api/v1 (a test checks
# that none is missing). ``{self}`` is the resident record of the resident caller. Bodies are
# either valid or deliberately invalid (422) where a valid one would start real work: a
# refusal by role is decided before the body.
MATRIX: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/auth/me", None, EVERYONE),
    ("GET", "/people", None, EVERYONE),
    ("POST", "/people", {"code": "new", "pgy": 1}, EDITORS),
    ("GET", "/people/{self}", None, EVERYONE),
    ("GET", "/people/{self}/calendar.ics", None, EVERYONE),
    ("PATCH", f"/people/{MISSING}", {}, EDITORS),
    ("DELETE", f"/people/{MISSING}", None, EDITORS),
    ("GET", "/shifts", None, EVERYONE),
    ("POST", "/shifts", {"person_id": 0, **SHIFT}, EDITORS),
    ("GET", f"/shifts/{MISSING}", None, EVERYONE),
    ("PATCH", f"/shifts/{MISSING}", {}, EDITORS),
    ("DELETE", f"/shifts/{MISSING}", None, EDITORS),
    ("GET", "/leave", None, EVERYONE),
    ("POST", "/leave", {}, EDITORS),
    ("GET", f"/leave/{MISSING}", None, EVERYONE),
    ("PATCH", f"/leave/{MISSING}", {}, EDITORS),
    ("DELETE", f"/leave/{MISSING}", None, EDITORS),
    ("GET", "/rotations", None, EVERYONE),
    ("POST", "/rotations", {}, EDITORS),
    ("GET", f"/rotations/{MISSING}", None, EVERYONE),
    ("PATCH", f"/rotations/{MISSING}", {}, EDITORS),
    ("DELETE", f"/rotations/{MISSING}", None, EDITORS),
    ("GET", "/rotation-assignments", None, EVERYONE),
    ("GET", "/academic-years", None, EVERYONE),
    ("GET", f"/academic-years/{MISSING}", None, EVERYONE),
    ("POST", "/schedule/import", schedule_file(), EDITORS),
    ("GET", "/schedule/export", None, EDITORS),
    ("GET", "/schedule/fairness", None, STAFF),
    ("POST", "/compliance/validate", schedule_file(), EVERYONE),
    ("GET", "/compliance/report", None, EVERYONE),
    ("GET", "/compliance/overrides", None, EDITORS),
    ("POST", "/schedule/generate", {}, EDITORS),
    ("GET", "/generation-jobs", None, EDITORS),
    ("GET", "/generation-jobs/no-such-job", None, EDITORS),
    ("GET", "/generation-jobs/no-such-job/schedule", None, EDITORS),
    ("GET", "/swaps", None, EVERYONE),
    # Offering, accepting and cancelling are the resident's own acts: an admin passes the role
    # check but has no resident record, and is refused (and audited) all the same.
    ("POST", "/swaps", {"shift_id": MISSING, "counterpart_id": MISSING}, RESIDENTS),
    ("GET", f"/swaps/{MISSING}", None, EVERYONE),
    ("POST", f"/swaps/{MISSING}/accept", None, RESIDENTS),
    ("POST", f"/swaps/{MISSING}/cancel", None, RESIDENTS),
    ("POST", f"/swaps/{MISSING}/reject", None, {"admin", "coordinator", "resident"}),
    ("POST", f"/swaps/{MISSING}/approve", None, EDITORS),
    ("GET", "/users", None, ADMINS),
    ("POST", "/users", {}, ADMINS),
    ("GET", f"/users/{MISSING}", None, ADMINS),
    ("PATCH", f"/users/{MISSING}", {}, ADMINS),
    ("DELETE", f"/users/{MISSING}", None, ADMINS),
    ("GET", "/audit-events", None, ADMINS),
]
PUBLIC = {("POST", "/auth/login"), ("POST", "/auth/refresh"), ("POST", "/auth/logout")}


def template(path: str) -> str:
    """``/swaps/999999/accept`` and ``/swaps/{swap_id}/accept`` both become ``/swaps/{}/accept``."""
    return re.sub(r"/(\{[^}]+\}|\d+|no-such-job)(?=/|$)", "/{}", path)


def test_the_matrix_covers_every_operation(app: FastAPI) -> None:
    operations = {
        (method.upper(), template(path.removeprefix(API)))
        for path, item in app.openapi()["paths"].items()
        if path.startswith(API)
        for method in item
    }
    covered = {(method, template(path)) for method, path, _, _ in MATRIX} | PUBLIC
    assert operations - covered == set(), "add the new operations to MATRIX"
    assert covered - operations == set()


@pytest.fixture(params=ROLES)
async def role_client(
    request: pytest.FixtureRequest, app: FastAPI
) -> AsyncIterator[tuple[str, int, httpx.AsyncClient]]:
    role: str = request.param
    person = await create_person_row(app, "r-self")
    headers = await signed_in_headers(app, role, person_id=person if role == "resident" else None)
    async with api_client(app, headers) as caller:
        yield role, person, caller


async def test_role_matrix(app: FastAPI, role_client: tuple[str, int, httpx.AsyncClient]) -> None:
    role, person, caller = role_client
    refused = []
    for method, path, body, admitted in MATRIX:
        url = f"{API}{path.format(self=person)}"
        with captured(AccessDenied) as denied:
            response = await caller.request(method, url, json=body)
        assert response.status_code != 500, (method, path, response.text)
        assert response.status_code != 401, (method, path)
        if role in admitted:
            assert response.status_code != 403, (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert len(denied) == 1, (role, method, path)
            refused.append(denied[0].resource_type)
    async with app.state.services.database.session() as session:
        audited = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "denied").order_by(AuditEvent.id)
            )
        )
    # Every refusal is on the trail, with who, what kind of record and which request.
    assert [a.resource_type for a in audited] == refused
    assert all(a.actor_user_id is not None and a.request_id for a in audited)
    assert len(refused) == {"admin": 3, "coordinator": 9, "faculty": 30, "resident": 27}[role]


async def test_denial_names_the_resource_type(faculty_client: httpx.AsyncClient) -> None:
    with captured(AccessDenied) as denied:
        await faculty_client.get(f"{API}/users")
        await faculty_client.get(f"{API}/audit-events")
        await faculty_client.get(f"{API}/schedule/export")
    assert denied == [AccessDenied("user"), AccessDenied("audit_log"), AccessDenied("export")]


@pytest.fixture
async def two_residents(client: httpx.AsyncClient, resident_person_id: int) -> dict[str, int]:
    """The signed-in resident (with a shift) and a colleague (with a shift and leave)."""
    other = (await client.post(f"{API}/people", json={"code": "r-other", "pgy": 2})).json()["id"]
    mine = (await create_shift(client, resident_person_id, **SHIFT)).json()["id"]
    theirs = (await create_shift(client, other, **SHIFT)).json()["id"]
    leave = await client.post(
        f"{API}/leave", json={"person_id": other, "start": "2026-07-20", "end": "2026-07-21"}
    )
    return {
        "me": resident_person_id,
        "other": other,
        "my_shift": mine,
        "their_shift": theirs,
        "their_leave": leave.json()["id"],
    }


async def test_residents_see_only_their_own_records(
    resident_client: httpx.AsyncClient, two_residents: dict[str, int]
) -> None:
    ids = two_residents
    shifts = (await resident_client.get(f"{API}/shifts")).json()
    assert [s["id"] for s in shifts["items"]] == [ids["my_shift"]]
    people = (await resident_client.get(f"{API}/people")).json()
    assert [p["id"] for p in people["items"]] == [ids["me"]] and people["total"] == 1
    assert (await resident_client.get(f"{API}/people/{ids['me']}")).status_code == 200
    assert (await resident_client.get(f"{API}/shifts/{ids['my_shift']}")).status_code == 200
    assert (await resident_client.get(f"{API}/leave")).json()["items"] == []
    own = await resident_client.get(f"{API}/shifts", params={"person_id": ids["me"]})
    assert own.json()["total"] == 1


@pytest.mark.parametrize(
    ("path", "params", "resource"),
    [
        ("/people/{other}", None, "person"),
        ("/people/{other}/calendar.ics", None, "person"),
        ("/shifts", {"person_id": "{other}"}, "schedule"),
        ("/shifts/{their_shift}", None, "shift"),
        ("/leave", {"person_id": "{other}"}, "leave"),
        ("/leave/{their_leave}", None, "leave"),
        ("/compliance/report", {"person_id": "{other}"}, "compliance_report"),
        ("/rotation-assignments", {"person_id": "{other}"}, "schedule"),
        ("/swaps", {"person_id": "{other}"}, "swap"),
    ],
)
async def test_another_residents_data_is_refused_and_flagged(
    app: FastAPI,
    resident_client: httpx.AsyncClient,
    two_residents: dict[str, int],
    path: str,
    params: dict[str, str] | None,
    resource: str,
) -> None:
    ids = {k: str(v) for k, v in two_residents.items()}
    query = {k: v.format(**ids) for k, v in (params or {}).items()}
    with captured(AccessDenied, SuspiciousActivity) as events:
        response = await resident_client.get(f"{API}{path.format(**ids)}", params=query)
    assert response.status_code == 403
    assert events == [AccessDenied(resource), SuspiciousActivity("cross_resident_access")]  # type: ignore[arg-type]
    async with app.state.services.database.session() as session:
        flagged = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "cross_resident_access")
        )
    assert flagged is not None and flagged.resource_type == resource
    assert flagged.resource_id is not None


async def test_staff_read_everyone(
    faculty_client: httpx.AsyncClient, two_residents: dict[str, int]
) -> None:
    assert (await faculty_client.get(f"{API}/shifts")).json()["total"] == 2
    other = two_residents["other"]
    assert (await faculty_client.get(f"{API}/people/{other}")).status_code == 200

"""/api/v1/people"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api import API_PREFIX
from app.api.pagination import Page, Pagination, page_of
from app.audit.api import audit_read
from app.auth.dependencies import Editor, Reader
from app.auth.events import UserAction
from app.auth.ownership import ensure_owner, own_person_filter
from app.events import publish
from app.people import service
from app.people.models import PersonKind
from app.people.schemas import PersonCreate, PersonRead, PersonUpdate
from app.services import AuditDep, DbSession

router = APIRouter(prefix=f"{API_PREFIX}/people", tags=["people"])


@router.get("", response_model=Page[PersonRead])
async def list_people(
    audit: AuditDep,
    session: DbSession,
    principal: Reader,
    page: Pagination,
    kind: Annotated[PersonKind | None, Query()] = None,
    pgy: Annotated[int | None, Query(ge=1, le=10)] = None,
    active: Annotated[bool | None, Query()] = None,
) -> Page[PersonRead]:
    """Everyone, for staff; a resident sees only their own record."""
    own = await own_person_filter(audit, principal, None, "person")
    if own is not None:
        person = await service.get_person(session, own)
        matches = kind in (None, person.kind) and pgy in (None, person.pgy)
        mine = [person] if matches and active in (None, person.active) else []
        items, total = mine[page.offset : page.offset + page.limit], len(mine)
    else:
        items, total = await service.list_people(session, page, kind=kind, pgy=pgy, active=active)
    await audit_read(session, principal, "person", "list")
    return page_of(PersonRead, items, total, page)


@router.post("", response_model=PersonRead, status_code=status.HTTP_201_CREATED)
async def create_person(session: DbSession, _: Editor, body: PersonCreate) -> PersonRead:
    person = await service.create_person(session, body)
    publish(UserAction(action="person_edit"))
    return PersonRead.model_validate(person)


@router.get("/{person_id}", response_model=PersonRead)
async def get_person(
    audit: AuditDep, session: DbSession, principal: Reader, person_id: int
) -> PersonRead:
    await ensure_owner(audit, principal, person_id, "person", person_id)
    person = await service.get_person(session, person_id)
    await audit_read(session, principal, "person", "read", person_id)
    return PersonRead.model_validate(person)


@router.patch("/{person_id}", response_model=PersonRead)
async def update_person(
    session: DbSession, _: Editor, person_id: int, body: PersonUpdate
) -> PersonRead:
    person = await service.update_person(session, person_id, body)
    publish(UserAction(action="person_edit"))
    return PersonRead.model_validate(person)


@router.delete("/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_person(session: DbSession, _: Editor, person_id: int) -> None:
    await service.delete_person(session, person_id)
    publish(UserAction(action="person_edit"))

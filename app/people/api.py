"""/api/v1/people"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api.dependencies import DbSession, Pagination
from app.api.pagination import Page
from app.auth.dependencies import Editor, Reader
from app.people import service
from app.people.models import PersonKind
from app.people.schemas import PersonCreate, PersonRead, PersonUpdate

router = APIRouter(prefix="/people", tags=["people"])


@router.get("", response_model=Page[PersonRead])
async def list_people(
    session: DbSession,
    _: Reader,
    page: Pagination,
    kind: Annotated[PersonKind | None, Query()] = None,
    pgy: Annotated[int | None, Query(ge=1, le=10)] = None,
    active: Annotated[bool | None, Query()] = None,
) -> Page[PersonRead]:
    items, total = await service.list_people(session, page, kind=kind, pgy=pgy, active=active)
    return Page(
        items=[PersonRead.model_validate(p) for p in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=PersonRead, status_code=status.HTTP_201_CREATED)
async def create_person(session: DbSession, _: Editor, body: PersonCreate) -> PersonRead:
    return PersonRead.model_validate(await service.create_person(session, body))


@router.get("/{person_id}", response_model=PersonRead)
async def get_person(session: DbSession, _: Reader, person_id: int) -> PersonRead:
    return PersonRead.model_validate(await service.get_person(session, person_id))


@router.patch("/{person_id}", response_model=PersonRead)
async def update_person(
    session: DbSession, _: Editor, person_id: int, body: PersonUpdate
) -> PersonRead:
    return PersonRead.model_validate(await service.update_person(session, person_id, body))


@router.delete("/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_person(session: DbSession, _: Editor, person_id: int) -> None:
    await service.delete_person(session, person_id)

"""Creating, finding and changing people."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries import PageParams, apply_changes, fetch_page, get_or_404
from app.errors import ConflictError, InvalidInputError
from app.people.models import Person, PersonKind
from app.people.schemas import PersonCreate, PersonUpdate
from app.schedules.models import Leave, Shift


async def _ensure_code_free(session: AsyncSession, code: str, own_id: int | None = None) -> None:
    existing = await session.scalar(select(Person.id).where(Person.code == code))
    if existing is not None and existing != own_id:
        raise ConflictError(f"a person with code {code!r} already exists")


async def create_person(session: AsyncSession, data: PersonCreate) -> Person:
    await _ensure_code_free(session, data.code)
    person = Person(**data.model_dump())
    session.add(person)
    await session.flush()
    return person


async def get_person(session: AsyncSession, person_id: int) -> Person:
    return await get_or_404(session, Person, person_id, "person")


async def list_people(
    session: AsyncSession,
    page: PageParams,
    *,
    kind: PersonKind | None = None,
    pgy: int | None = None,
    active: bool | None = None,
) -> tuple[list[Person], int]:
    statement = select(Person).order_by(Person.code)
    if kind is not None:
        statement = statement.where(Person.kind == kind)
    if pgy is not None:
        statement = statement.where(Person.pgy == pgy)
    if active is not None:
        statement = statement.where(Person.active == active)
    return await fetch_page(session, statement, page)


async def update_person(session: AsyncSession, person_id: int, data: PersonUpdate) -> Person:
    person = await get_person(session, person_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("code") is None:
        changes.pop("code", None)
    else:
        await _ensure_code_free(session, changes["code"], person.id)
    if "pgy" in changes and person.kind == PersonKind.FACULTY and changes["pgy"] is not None:
        raise InvalidInputError("pgy applies to residents only")
    if "pgy" in changes and person.kind == PersonKind.RESIDENT and changes["pgy"] is None:
        raise InvalidInputError("pgy is required for a resident")
    apply_changes(person, changes)
    await session.flush()
    return person


async def delete_person(session: AsyncSession, person_id: int) -> None:
    person = await get_person(session, person_id)
    for model, label in ((Shift, "shifts"), (Leave, "leave records")):
        has_rows = await session.scalar(
            select(model.id).where(model.person_id == person.id).limit(1)
        )
        if has_rows is not None:
            raise ConflictError(
                f"person {person_id} still has {label}; delete them first or set active=false"
            )
    await session.delete(person)
    await session.flush()


async def find_by_code(session: AsyncSession, code: str) -> Person | None:
    return await session.scalar(select(Person).where(Person.code == code))

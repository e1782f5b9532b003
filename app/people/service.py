"""Creating, finding and changing people."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import queries as db
from app.errors import ConflictError, InvalidInputError
from app.people.models import Person, PersonKind
from app.people.schemas import PersonCreate, PersonUpdate
from app.schedules.models import Leave, Shift


async def create_person(session: AsyncSession, data: PersonCreate) -> Person:
    await db.ensure_unique(session, Person.code, data.code, "person")
    return await db.insert_row(session, Person(**data.model_dump()))


async def get_person(session: AsyncSession, person_id: int) -> Person:
    return await db.get_or_404(session, Person, person_id, "person")


async def list_people(
    session: AsyncSession,
    page: db.PageParams,
    *,
    kind: PersonKind | None = None,
    pgy: int | None = None,
    active: bool | None = None,
) -> tuple[list[Person], int]:
    statement = select(Person).order_by(Person.code)
    filters = (Person.kind, kind), (Person.pgy, pgy), (Person.active, active)
    return await db.fetch_page(session, statement, page, *filters)


async def update_person(session: AsyncSession, person_id: int, data: PersonUpdate) -> Person:
    person = await get_person(session, person_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("code") is None:
        changes.pop("code", None)
    else:
        await db.ensure_unique(session, Person.code, changes["code"], "person", person.id)
    if "pgy" in changes and person.kind == PersonKind.FACULTY and changes["pgy"] is not None:
        raise InvalidInputError("pgy applies to residents only")
    if "pgy" in changes and person.kind == PersonKind.RESIDENT and changes["pgy"] is None:
        raise InvalidInputError("pgy is required for a resident")
    return await db.update_row(session, person, changes)


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
    await db.delete_row(session, person)

"""Rotations and the per-block assignments of residents to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import queries as db
from app.errors import ConflictError
from app.rotations.models import Rotation, RotationAssignment
from app.rotations.schemas import RotationCreate, RotationUpdate


async def create_rotation(session: AsyncSession, data: RotationCreate) -> Rotation:
    await db.ensure_unique(session, Rotation.code, data.code, "rotation")
    return await db.insert_row(session, Rotation(**data.model_dump()))


async def get_rotation(session: AsyncSession, rotation_id: int) -> Rotation:
    return await db.get_or_404(session, Rotation, rotation_id, "rotation")


async def list_rotations(session: AsyncSession, page: db.PageParams) -> tuple[list[Rotation], int]:
    return await db.fetch_page(session, select(Rotation).order_by(Rotation.code), page)


async def update_rotation(
    session: AsyncSession, rotation_id: int, data: RotationUpdate
) -> Rotation:
    rotation = await get_rotation(session, rotation_id)
    changes = db.set_fields(data)
    if "code" in changes:
        await db.ensure_unique(session, Rotation.code, changes["code"], "rotation", rotation.id)
    return await db.update_row(session, rotation, changes)


async def delete_rotation(session: AsyncSession, rotation_id: int) -> None:
    rotation = await get_rotation(session, rotation_id)
    used = await session.scalar(
        select(RotationAssignment.id).where(RotationAssignment.rotation_id == rotation.id).limit(1)
    )
    if used is not None:
        raise ConflictError(f"rotation {rotation_id} is assigned to residents; remove those first")
    await db.delete_row(session, rotation)


async def list_assignments(
    session: AsyncSession,
    page: db.PageParams,
    *,
    block_id: int | None = None,
    person_id: int | None = None,
) -> tuple[list[RotationAssignment], int]:
    statement = select(RotationAssignment).order_by(
        RotationAssignment.block_id, RotationAssignment.person_id
    )
    filters = (RotationAssignment.block_id, block_id), (RotationAssignment.person_id, person_id)
    return await db.fetch_page(session, statement, page, *filters)

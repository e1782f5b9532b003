"""Rotations and the per-block assignments of residents to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries import PageParams, apply_changes, fetch_page, get_or_404
from app.errors import ConflictError
from app.rotations.models import Rotation, RotationAssignment
from app.rotations.schemas import RotationCreate, RotationUpdate


async def _ensure_code_free(session: AsyncSession, code: str, own_id: int | None = None) -> None:
    existing = await session.scalar(select(Rotation.id).where(Rotation.code == code))
    if existing is not None and existing != own_id:
        raise ConflictError(f"a rotation with code {code!r} already exists")


async def create_rotation(session: AsyncSession, data: RotationCreate) -> Rotation:
    await _ensure_code_free(session, data.code)
    rotation = Rotation(**data.model_dump())
    session.add(rotation)
    await session.flush()
    return rotation


async def get_rotation(session: AsyncSession, rotation_id: int) -> Rotation:
    return await get_or_404(session, Rotation, rotation_id, "rotation")


async def list_rotations(session: AsyncSession, page: PageParams) -> tuple[list[Rotation], int]:
    return await fetch_page(session, select(Rotation).order_by(Rotation.code), page)


async def update_rotation(
    session: AsyncSession, rotation_id: int, data: RotationUpdate
) -> Rotation:
    rotation = await get_rotation(session, rotation_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "code" in changes:
        await _ensure_code_free(session, changes["code"], rotation.id)
    apply_changes(rotation, changes)
    await session.flush()
    return rotation


async def delete_rotation(session: AsyncSession, rotation_id: int) -> None:
    rotation = await get_rotation(session, rotation_id)
    used = await session.scalar(
        select(RotationAssignment.id).where(RotationAssignment.rotation_id == rotation.id).limit(1)
    )
    if used is not None:
        raise ConflictError(f"rotation {rotation_id} is assigned to residents; remove those first")
    await session.delete(rotation)
    await session.flush()


async def list_assignments(
    session: AsyncSession,
    page: PageParams,
    *,
    block_id: int | None = None,
    person_id: int | None = None,
) -> tuple[list[RotationAssignment], int]:
    statement = select(RotationAssignment).order_by(
        RotationAssignment.block_id, RotationAssignment.person_id
    )
    if block_id is not None:
        statement = statement.where(RotationAssignment.block_id == block_id)
    if person_id is not None:
        statement = statement.where(RotationAssignment.person_id == person_id)
    return await fetch_page(session, statement, page)

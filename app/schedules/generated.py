"""Storing a generated year as the active schedule: shifts, leave, rotations and assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.generation import Program
from app.people.models import Person
from app.rotations.models import Rotation, RotationAssignment
from app.schedules.models import Block
from app.schedules.schemas import ImportSummary
from app.schedules.transfer import import_schedule
from app.schedules.years import get_year, keep_holidays

if TYPE_CHECKING:
    from app.generation.generator import GenerationResult

ROTATION_NAMES = {
    "WARDS": "Inpatient wards",
    "ICU": "Intensive care unit",
    "NF": "Night float",
    "AMB": "Ambulatory clinic and electives",
}


async def ensure_rotations(session: AsyncSession, program: Program) -> dict[str, int]:
    """Rotation rows for the program's rotations (by code), created when missing."""
    codes = [r.name for r in program.rotations]
    existing = {
        r.code: r for r in await session.scalars(select(Rotation).where(Rotation.code.in_(codes)))
    }
    for code in codes:
        if code not in existing:
            existing[code] = Rotation(code=code, name=ROTATION_NAMES.get(code, code))
            session.add(existing[code])
    await session.flush()
    return {code: rotation.id for code, rotation in existing.items()}


async def store_generated(
    session: AsyncSession, program: Program, result: GenerationResult
) -> ImportSummary:
    """Make a successful generation the active schedule, in the caller's transaction, with
    its program's holidays as the year's calendar (the fairness report counts on them)."""
    if result.schedule is None or result.status == "timeout":
        # a timeout's best year so far has unstaffed team-blocks: never the active schedule
        raise ValueError("only a successful generation can be stored")
    summary = await import_schedule(session, result.schedule)
    keep_holidays(await get_year(session, summary.academic_year_id), program.holiday_dates())
    rotation_ids = await ensure_rotations(session, program)
    blocks = list(
        await session.scalars(
            select(Block).where(Block.year_id == summary.academic_year_id).order_by(Block.number)
        )
    )
    await session.execute(
        delete(RotationAssignment).where(RotationAssignment.block_id.in_([b.id for b in blocks]))
    )
    codes = list((result.assignment or {}).keys())
    people = {
        p.code: p.id for p in await session.scalars(select(Person).where(Person.code.in_(codes)))
    }
    session.add_all(
        RotationAssignment(
            block_id=blocks[number].id,
            person_id=people[code],
            rotation_id=rotation_ids[rotation],
        )
        for code, per_block in (result.assignment or {}).items()
        for number, rotation in enumerate(per_block)
        if number < len(blocks)
    )
    await session.flush()
    return summary

"""Compliance of the stored schedule, and the guard that makes rule-breaking changes explicit.

Blocks always align with the academic year (28-day blocks from its first day), whatever date
range a caller asks about: a report for March is the March blocks of the year, not new blocks
starting in March.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit
from app.compliance.events import OverrideRecorded, ScheduleValidated, Severity, ValidationSource
from app.compliance.report import ComplianceReport, Violation
from app.compliance.validator import validate_schedule
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.events import publish
from app.schedules.calendar import block_bounds
from app.schedules.file_format import ScheduleFile
from app.schedules.models import AcademicYear
from app.schedules.overrides import ComplianceOverride
from app.schedules.transfer import export_schedule
from app.schedules.years import active_year
from app.tracing import add_span_attributes, trace_function, traced

T = TypeVar("T")
MIN_JUSTIFICATION = 20


def announce(report: ComplianceReport, source: ValidationSource, *, whole: bool = False) -> None:
    publish(
        ScheduleValidated(
            source=source,
            valid=report.valid,
            compliance_score=report.compliance_score,
            counts=report.summary(),
            covers_active_schedule=whole,
        )
    )


def checked(
    schedule: ScheduleFile, source: ValidationSource, *, strict: bool = False
) -> ComplianceReport:
    """validate_schedule in a "compliance.validate" span carrying counts only, never names."""
    with traced("compliance.validate", source=source, strict=strict):
        report = validate_schedule(schedule, strict=strict)
        found = sum(v.severity is Severity.VIOLATION for v in report.violations)
        add_span_attributes(
            resident_count=len(schedule.residents),
            blocks=report.resident_blocks // max(1, len(schedule.residents)),
            violations=found,
            warnings=len(report.violations) - found,
            valid=report.valid,
        )
    return report


def _restrict(
    report: ComplianceReport, year: AcademicYear, start: date, end: date
) -> ComplianceReport:
    """The part of a year's report about blocks (or rolling windows) that touch [start, end]."""
    numbers = {
        n
        for n, first, last in block_bounds(year.start_date, year.end_date)
        if first <= end and last >= start
    }
    residents = report.resident_blocks // max(1, len(block_bounds(year.start_date, year.end_date)))
    kept = tuple(
        v
        for v in report.violations
        if (v.block in numbers if v.block is not None else v.start <= end and v.end >= start)
    )
    return ComplianceReport(violations=kept, resident_blocks=residents * len(numbers))


async def stored_report(
    session: AsyncSession,
    *,
    start: date | None = None,
    end: date | None = None,
    person_id: int | None = None,
    strict: bool = False,
) -> ComplianceReport:
    """The compliance report of the active academic year's stored schedule."""
    year = await active_year(session)
    if year is None:
        raise NotFoundError("no academic year is stored yet; import or generate a schedule first")
    if start and end and end < start:
        raise InvalidInputError("end: must not be before start")
    schedule = await export_schedule(
        session,
        start=year.start_date,
        end=year.end_date,
        person_ids=None if person_id is None else [person_id],
    )
    if person_id is not None and not schedule.residents:
        raise NotFoundError(f"resident {person_id} not found")
    report = checked(schedule, "stored", strict=strict)
    whole = start is None and end is None and person_id is None
    announce(report, "stored", whole=whole and not strict)
    if whole:
        return report
    return _restrict(report, year, start or year.start_date, end or year.end_date)


def _key(v: Violation) -> tuple[str, str, date, date]:
    return (v.rule, v.resident, v.start, v.end)


async def _year_containing(session: AsyncSession, day: date) -> AcademicYear | None:
    return await session.scalar(
        select(AcademicYear)
        .where(AcademicYear.start_date <= day, AcademicYear.end_date >= day)
        .order_by(AcademicYear.active.desc())
        .limit(1)
    )


async def _violations_of(
    session: AsyncSession,
    year: AcademicYear,
    person_ids: Collection[int],
    source: ValidationSource,
) -> tuple[ComplianceReport, dict[tuple[str, str, date, date], Violation]]:
    schedule = await export_schedule(
        session, start=year.start_date, end=year.end_date, person_ids=person_ids
    )
    report = checked(schedule, source)
    found = {_key(v): v for v in report.violations if v.severity is Severity.VIOLATION}
    return report, found


@trace_function("compliance.guarded_change")
async def guarded_change(
    session: AsyncSession,
    *,
    person_ids: Collection[int],
    day: date,
    change: Callable[[], Awaitable[T]],
    justification: str | None,
    actor_user_id: int | None,
    source: ValidationSource = "shift_change",
) -> T:
    """Apply ``change`` (in the caller's transaction) unless it adds ACGME violations for
    ``person_ids``. With a written justification the change is kept and the override stored,
    audited and announced; without one it is refused with 409 and rolled back."""
    add_span_attributes(source=source, resident_count=len(person_ids))
    year = await _year_containing(session, day)
    if year is None:
        return await change()  # outside every academic year: no blocks to check against
    _, before = await _violations_of(session, year, person_ids, source)
    result = await change()
    report, after = await _violations_of(session, year, person_ids, source)
    added = [v for k, v in after.items() if k not in before]
    announce(report, source)
    add_span_attributes(violations_added=len(added), overridden=bool(added))
    if not added:
        return result
    rules = tuple(sorted({v.rule for v in added}))
    if justification is None or len(justification.strip()) < MIN_JUSTIFICATION:
        raise ConflictError(
            f"the change would break ACGME rules ({', '.join(rules)}); to keep it anyway, send "
            f"override_justification (at least {MIN_JUSTIFICATION} characters)",
            violations=[v.to_json_dict() for v in added],
        )
    shift_id = getattr(result, "id", None)
    for person_id in person_ids:
        override = ComplianceOverride(
            shift_id=shift_id,
            person_id=person_id,
            rules=",".join(rules),
            justification=justification.strip(),
            actor_user_id=actor_user_id,
        )
        session.add(override)
        await session.flush()
        await record_audit(
            session,
            action="override",
            resource_type="compliance_override",
            resource_id=override.id,
            actor_user_id=actor_user_id,
        )
    publish(OverrideRecorded(rules=rules))
    return result


async def list_overrides(
    session: AsyncSession, *, person_id: int | None = None
) -> list[ComplianceOverride]:
    statement = select(ComplianceOverride).order_by(ComplianceOverride.created_at.desc())
    if person_id is not None:
        statement = statement.where(ComplianceOverride.person_id == person_id)
    return list(await session.scalars(statement))

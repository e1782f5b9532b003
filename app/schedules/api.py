"""/api/v1/shifts, /api/v1/leave, /api/v1/academic-years and /api/v1/schedule (import/export)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import JSONResponse

from app.api import API_PREFIX
from app.api.json_bodies import OffloadedJSONRoute, in_thread
from app.api.pagination import Page, Pagination, page_of
from app.api.params import ensure_ordered, id_filter
from app.audit.api import audit_read
from app.audit.service import audit_access, flag_suspicious
from app.auth.dependencies import Editor, Reader
from app.auth.events import UserAction, UserActionKind
from app.auth.ownership import ensure_owner, own_person_filter
from app.compliance.service import guarded_change
from app.errors import InvalidInputError
from app.events import publish
from app.schedules import leave as leave_service
from app.schedules import shifts as shift_service
from app.schedules import transfer, years
from app.schedules.file_format import ScheduleFile, ScheduleFileError, ShiftKind, parse_schedule
from app.schedules.schemas import (
    AcademicYearRead,
    BlockRead,
    ImportSummary,
    LeaveCreate,
    LeaveRead,
    LeaveUpdate,
    ShiftCreate,
    ShiftRead,
    ShiftUpdate,
)
from app.services import AuditDep, CacheDep, DbSession, ExportsDep

router = APIRouter(prefix=API_PREFIX, tags=["schedule"])

StartDate = Annotated[date | None, Query(description="First day (inclusive)")]
EndDate = Annotated[date | None, Query(description="Last day (inclusive)")]
PersonFilter = Annotated[int | None, id_filter("Only this person's records")]


def _did(action: UserActionKind) -> None:
    publish(UserAction(action=action))


@router.get("/shifts", response_model=Page[ShiftRead])
async def list_shifts(
    audit: AuditDep,
    cache: CacheDep,
    session: DbSession,
    principal: Reader,
    page: Pagination,
    start: StartDate = None,
    end: EndDate = None,
    person_id: PersonFilter = None,
    kind: Annotated[ShiftKind | None, Query()] = None,
) -> JSONResponse:
    """Shifts intersecting [start, end]; residents see only their own. Cached until the
    schedule next changes (the cached JSON is sent as it is)."""
    ensure_ordered(start, end)
    person_id = await own_person_filter(audit, principal, person_id, "schedule")

    async def compute() -> dict[str, Any]:
        items, total = await shift_service.list_shifts(
            session, page, start=start, end=end, person_id=person_id, kind=kind
        )
        return page_of(ShiftRead, items, total, page).model_dump(mode="json")

    shifts = await cache.get_or_compute(
        session,
        "schedule",
        compute,
        start=start,
        end=end,
        person=person_id,
        kind=kind,
        limit=page.limit,
        offset=page.offset,
    )
    await audit_read(session, principal, "schedule", "list", filters={"person_id": person_id})
    return JSONResponse(shifts)


@router.post("/shifts", response_model=ShiftRead, status_code=status.HTTP_201_CREATED)
async def create_shift(session: DbSession, principal: Editor, body: ShiftCreate) -> ShiftRead:
    """Add a shift. One that would break an ACGME rule is refused with 409 and the violations,
    unless ``override_justification`` explains why it must stand (stored and audited)."""
    shift = await guarded_change(
        session,
        person_ids=[body.person_id],
        day=body.start.date(),
        change=lambda: shift_service.create_shift(session, body),
        justification=body.override_justification,
        actor_user_id=principal.user_id,
    )
    _did("schedule_edit")
    return ShiftRead.model_validate(shift)


@router.get("/shifts/{shift_id}", response_model=ShiftRead)
async def get_shift(
    audit: AuditDep, session: DbSession, principal: Reader, shift_id: int
) -> ShiftRead:
    shift = await shift_service.get_shift(session, shift_id)
    await ensure_owner(audit, principal, shift.person_id, "shift", shift_id)
    await audit_read(session, principal, "shift", "read", shift_id)
    return ShiftRead.model_validate(shift)


@router.patch("/shifts/{shift_id}", response_model=ShiftRead)
async def update_shift(
    session: DbSession, principal: Editor, shift_id: int, body: ShiftUpdate
) -> ShiftRead:
    """Change a shift; ACGME-breaking changes need ``override_justification`` as on create."""
    current = await shift_service.get_shift(session, shift_id)
    people = {current.person_id, body.person_id or current.person_id}
    shift = await guarded_change(
        session,
        person_ids=sorted(people),
        day=(body.start or current.start_at).date(),
        change=lambda: shift_service.update_shift(session, shift_id, body),
        justification=body.override_justification,
        actor_user_id=principal.user_id,
    )
    _did("schedule_edit")
    return ShiftRead.model_validate(shift)


@router.delete("/shifts/{shift_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_shift(session: DbSession, _: Editor, shift_id: int) -> None:
    await shift_service.delete_shift(session, shift_id)
    _did("schedule_edit")


@router.get("/leave", response_model=Page[LeaveRead])
async def list_leave(
    audit: AuditDep,
    session: DbSession,
    principal: Reader,
    page: Pagination,
    start: StartDate = None,
    end: EndDate = None,
    person_id: PersonFilter = None,
) -> Page[LeaveRead]:
    ensure_ordered(start, end)
    person_id = await own_person_filter(audit, principal, person_id, "leave")
    items, total = await leave_service.list_leave(
        session, page, start=start, end=end, person_id=person_id
    )
    await audit_read(session, principal, "leave", "list", filters={"person_id": person_id})
    return page_of(LeaveRead, items, total, page)


@router.post("/leave", response_model=LeaveRead, status_code=status.HTTP_201_CREATED)
async def create_leave(session: DbSession, _: Editor, body: LeaveCreate) -> LeaveRead:
    leave = await leave_service.create_leave(session, body)
    _did("schedule_edit")
    return LeaveRead.model_validate(leave)


@router.get("/leave/{leave_id}", response_model=LeaveRead)
async def get_leave(
    audit: AuditDep, session: DbSession, principal: Reader, leave_id: int
) -> LeaveRead:
    leave = await leave_service.get_leave(session, leave_id)
    await ensure_owner(audit, principal, leave.person_id, "leave", leave_id)
    await audit_read(session, principal, "leave", "read", leave_id)
    return LeaveRead.model_validate(leave)


@router.patch("/leave/{leave_id}", response_model=LeaveRead)
async def update_leave(
    session: DbSession, _: Editor, leave_id: int, body: LeaveUpdate
) -> LeaveRead:
    leave = await leave_service.update_leave(session, leave_id, body)
    _did("schedule_edit")
    return LeaveRead.model_validate(leave)


@router.delete("/leave/{leave_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_leave(session: DbSession, _: Editor, leave_id: int) -> None:
    await leave_service.delete_leave(session, leave_id)
    _did("schedule_edit")


async def _year_read(session: DbSession, year: Any) -> AcademicYearRead:
    blocks = await years.year_blocks(session, year.id)
    read = AcademicYearRead.model_validate(year)
    read.blocks = [BlockRead.model_validate(b) for b in blocks]
    return read


@router.get("/academic-years", response_model=list[AcademicYearRead])
async def list_years(session: DbSession, _: Reader) -> list[AcademicYearRead]:
    return [await _year_read(session, y) for y in await years.list_years(session)]


@router.get("/academic-years/{year_id}", response_model=AcademicYearRead)
async def get_year(session: DbSession, _: Reader, year_id: int) -> AcademicYearRead:
    return await _year_read(session, await years.get_year(session, year_id))


def _parsed(body: dict[str, Any]) -> ScheduleFile:
    try:
        return parse_schedule(body)
    except ScheduleFileError as exc:
        raise InvalidInputError(str(exc)) from None


async def import_schedule(
    session: DbSession,
    _: Editor,
    body: Annotated[dict[str, Any], Body(description="A schedule file (acgme-rules.md format)")],
) -> ImportSummary:
    # Seconds of CPU for a large file: decoded (OffloadedJSONRoute) and parsed off the loop
    schedule = await in_thread(_parsed, body)
    summary = await transfer.import_schedule(session, schedule)
    _did("schedule_import")
    return summary


router.add_api_route(
    "/schedule/import",
    import_schedule,
    methods=["POST"],
    response_model=ImportSummary,
    route_class_override=OffloadedJSONRoute,
)


@router.get("/schedule/export")
async def export_schedule(
    exports: ExportsDep,
    session: DbSession,
    principal: Editor,
    start: StartDate = None,
    end: EndDate = None,
    with_names: Annotated[bool, Query(description="Include residents' names")] = False,
) -> dict[str, Any]:
    """The stored schedule as a schedule file. Every export is audited; unusually many by one
    user within an hour are flagged as suspicious."""
    schedule = await transfer.export_schedule(session, start=start, end=end, with_names=with_names)
    await audit_access(
        session, actor_user_id=principal.user_id, resource_type="export", action="export"
    )
    _did("schedule_export")
    if await exports.exported(principal.user_id):
        await flag_suspicious(
            session, "export_volume", actor_user_id=principal.user_id, resource_type="export"
        )
    return schedule.to_json_dict()

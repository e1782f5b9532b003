"""/api/v1/compliance: validate an uploaded file, report on the stored schedule, overrides."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from app.api.dependencies import DbSession
from app.api.errors import InvalidInputError
from app.auth.dependencies import Editor, Reader
from app.compliance import service
from app.compliance.schemas import OverrideRead, ReportRead
from app.compliance.validator import validate_schedule
from app.schedules.file_format import ScheduleFileError, parse_schedule

router = APIRouter(prefix="/compliance", tags=["compliance"])

Strict = Annotated[
    bool, Query(description="Also check rolling 28-day windows (reported as warnings)")
]


@router.post("/validate", response_model=ReportRead)
async def validate_upload(
    _: Reader,
    body: Annotated[dict[str, Any], Body(description="A schedule file (acgme-rules.md format)")],
    strict: Strict = False,
) -> dict[str, Any]:
    """Check an uploaded schedule file; nothing is stored."""
    try:
        schedule = parse_schedule(body)
    except ScheduleFileError as exc:
        raise InvalidInputError(str(exc)) from None
    report = validate_schedule(schedule, strict=strict)
    service.announce(report, "upload")
    return report.to_json_dict()


@router.get("/report", response_model=ReportRead)
async def stored_report(
    session: DbSession,
    _: Reader,
    start: Annotated[date | None, Query(description="First day (inclusive)")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive)")] = None,
    person_id: Annotated[int | None, Query(description="Only this resident")] = None,
    strict: Strict = False,
) -> dict[str, Any]:
    """The active academic year's stored schedule against the ACGME rules, limited to the
    blocks touching [start, end] and to one resident when asked."""
    report = await service.stored_report(
        session, start=start, end=end, person_id=person_id, strict=strict
    )
    return report.to_json_dict()


@router.get("/overrides", response_model=list[OverrideRead])
async def list_overrides(
    session: DbSession,
    _: Editor,
    person_id: Annotated[int | None, Query()] = None,
) -> list[OverrideRead]:
    """Rule-breaking changes a coordinator kept, with their written justification."""
    overrides = await service.list_overrides(session, person_id=person_id)
    return [OverrideRead.model_validate(o) for o in overrides]

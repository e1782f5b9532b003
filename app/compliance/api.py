"""/api/v1/compliance: validate an uploaded file, report on the stored schedule, overrides."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from app.api import API_PREFIX
from app.api.json_bodies import OffloadedJSONRoute, in_thread
from app.api.params import id_filter
from app.audit.service import audit_access
from app.auth.dependencies import Editor, Reader
from app.auth.ownership import own_person_filter
from app.compliance import service
from app.compliance.report import ComplianceReport
from app.compliance.schemas import OverrideRead, ReportRead
from app.errors import InvalidInputError
from app.schedules.file_format import ScheduleFileError, parse_schedule
from app.services import AuditDep, CacheDep, DbSession

router = APIRouter(prefix=f"{API_PREFIX}/compliance", tags=["compliance"])

Strict = Annotated[
    bool, Query(description="Also check rolling 28-day windows (reported as warnings)")
]


def _check_upload(body: dict[str, Any], strict: bool) -> ComplianceReport:
    try:
        schedule = parse_schedule(body)
    except ScheduleFileError as exc:
        raise InvalidInputError(str(exc)) from None
    return service.checked(schedule, "upload", strict=strict)


async def validate_upload(
    _: Reader,
    body: Annotated[dict[str, Any], Body(description="A schedule file (acgme-rules.md format)")],
    strict: Strict = False,
) -> dict[str, Any]:
    """Check an uploaded schedule file; nothing is stored."""
    # Seconds of CPU for a large file: decoded (OffloadedJSONRoute) and checked off the loop
    report = await in_thread(_check_upload, body, strict)
    service.announce(report, "upload")
    return await in_thread(report.to_json_dict)


router.add_api_route(
    "/validate",
    validate_upload,
    methods=["POST"],
    response_model=ReportRead,
    route_class_override=OffloadedJSONRoute,
)


@router.get("/report", response_model=ReportRead)
async def stored_report(
    audit: AuditDep,
    cache: CacheDep,
    session: DbSession,
    principal: Reader,
    start: Annotated[date | None, Query(description="First day (inclusive)")] = None,
    end: Annotated[date | None, Query(description="Last day (inclusive)")] = None,
    person_id: Annotated[int | None, id_filter("Only this resident")] = None,
    strict: Strict = False,
) -> dict[str, Any]:
    """The active academic year's stored schedule against the ACGME rules, limited to the
    blocks touching [start, end] and to one resident when asked (residents: themselves only).
    Cached until the schedule next changes."""
    person_id = await own_person_filter(audit, principal, person_id, "compliance_report")

    async def compute() -> dict[str, Any]:
        report = await service.stored_report(
            session, start=start, end=end, person_id=person_id, strict=strict
        )
        return report.to_json_dict()

    report = await cache.get_or_compute(
        session,
        "compliance_report",
        compute,
        start=start,
        end=end,
        person=person_id,
        strict=strict,
    )
    await audit_access(
        session,
        actor_user_id=principal.user_id,
        resource_type="compliance_report",
        action="read",
        resource_id=person_id,
    )
    return report


@router.get("/overrides", response_model=list[OverrideRead])
async def list_overrides(
    session: DbSession,
    principal: Editor,
    person_id: Annotated[int | None, id_filter("Only this resident's overrides")] = None,
) -> list[OverrideRead]:
    """Rule-breaking changes a coordinator kept, with their written justification."""
    overrides = await service.list_overrides(session, person_id=person_id)
    await audit_access(
        session,
        actor_user_id=principal.user_id,
        resource_type="compliance_report",
        action="list",
        resource_id=person_id,
    )
    return [OverrideRead.model_validate(o) for o in overrides]

"""/api/v1/rotations and /api/v1/rotation-assignments"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from app.api import API_PREFIX
from app.api.pagination import Page, Pagination, page_of
from app.api.params import id_filter
from app.audit.api import audit_read
from app.auth.dependencies import Editor, Reader
from app.auth.ownership import own_person_filter
from app.rotations import service
from app.rotations.schemas import AssignmentRead, RotationCreate, RotationRead, RotationUpdate
from app.services import AuditDep, DbSession

router = APIRouter(prefix=API_PREFIX, tags=["rotations"])


@router.get("/rotations", response_model=Page[RotationRead])
async def list_rotations(session: DbSession, _: Reader, page: Pagination) -> Page[RotationRead]:
    items, total = await service.list_rotations(session, page)
    return page_of(RotationRead, items, total, page)


@router.post("/rotations", response_model=RotationRead, status_code=status.HTTP_201_CREATED)
async def create_rotation(session: DbSession, _: Editor, body: RotationCreate) -> RotationRead:
    return RotationRead.model_validate(await service.create_rotation(session, body))


@router.get("/rotations/{rotation_id}", response_model=RotationRead)
async def get_rotation(session: DbSession, _: Reader, rotation_id: int) -> RotationRead:
    return RotationRead.model_validate(await service.get_rotation(session, rotation_id))


@router.patch("/rotations/{rotation_id}", response_model=RotationRead)
async def update_rotation(
    session: DbSession, _: Editor, rotation_id: int, body: RotationUpdate
) -> RotationRead:
    return RotationRead.model_validate(await service.update_rotation(session, rotation_id, body))


@router.delete("/rotations/{rotation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rotation(session: DbSession, _: Editor, rotation_id: int) -> None:
    await service.delete_rotation(session, rotation_id)


@router.get("/rotation-assignments", response_model=Page[AssignmentRead])
async def list_assignments(
    audit: AuditDep,
    session: DbSession,
    principal: Reader,
    page: Pagination,
    block_id: Annotated[int | None, id_filter("Only this block")] = None,
    person_id: Annotated[int | None, id_filter("Only this resident")] = None,
) -> Page[AssignmentRead]:
    """Who rotates where, block by block; residents see only their own assignments."""
    person_id = await own_person_filter(audit, principal, person_id, "schedule")
    items, total = await service.list_assignments(
        session, page, block_id=block_id, person_id=person_id
    )
    await audit_read(session, principal, "schedule", "list", filters={"person_id": person_id})
    return page_of(AssignmentRead, items, total, page)

"""Small query helpers every service uses: fetch-or-404 and counted pages."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import MAX_ID, Base
from app.errors import NotFoundError

M = TypeVar("M", bound=Base)


class PageParams(BaseModel):
    limit: int
    offset: int


async def get_or_404(session: AsyncSession, model: type[M], item_id: int, label: str) -> M:
    # An id no row can have is simply unknown (PostgreSQL would refuse it as out of range).
    item = await session.get(model, item_id) if 1 <= item_id <= MAX_ID else None
    if item is None:
        raise NotFoundError(f"{label} {item_id} not found")
    return item


async def fetch_page(
    session: AsyncSession, statement: Select[Any], page: PageParams
) -> tuple[list[Any], int]:
    """One page of ``statement``'s rows and the total count without paging."""
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = await session.scalars(statement.limit(page.limit).offset(page.offset))
    return list(rows), int(total or 0)


def apply_changes(item: Base, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        setattr(item, field, value)

"""Offset pagination shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from app.db.base import MAX_ID
from app.db.queries import PageParams


def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Pagination = Annotated[PageParams, Depends(page_params)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


R = TypeVar("R", bound=BaseModel)


def page_of(read: type[R], rows: Sequence[Any], total: int, page: PageParams) -> Page[R]:
    """A response page: ``rows`` converted to the ``read`` model, with the paging numbers."""
    return Page[R](
        items=[read.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )

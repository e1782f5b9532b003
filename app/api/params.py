"""Bounded id parameters: a number no row can have is a 422, never a database error."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import Field

from app.db.base import MAX_ID

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id in a request body (e.g. ``person_id`` of a new shift)."""


def id_filter(description: str) -> Any:
    """An optional ``?person_id=``-style filter on a list endpoint."""
    return Query(ge=1, le=MAX_ID, description=description)

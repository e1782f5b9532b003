"""Request parameters: bounded ids (a number no row can have is a 422, never a database
error) and ordered ranges."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field

from app.db.base import MAX_ID
from app.errors import InvalidInputError

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id in a request body (e.g. ``person_id`` of a new shift)."""


def id_filter(description: str) -> Any:
    """An optional ``?person_id=``-style filter on a list endpoint."""
    return Query(ge=1, le=MAX_ID, description=description)


def ensure_ordered(
    start: date | None,
    end: date | None,
    *,
    after: bool = False,
    names: tuple[str, str] = ("start", "end"),
) -> None:
    """Refuse (422) a range whose end is before its start (with ``after``: not after it);
    a range open at either side is fine."""
    first, last = names
    if start is None or end is None:
        return
    if after and end <= start:
        raise InvalidInputError(f"{last}: must be after {first}")
    if end < start:
        raise InvalidInputError(f"{last}: must not be before {first}")

"""Small query helpers every service uses: fetch-or-404, counted pages and row writes."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, ScalarResult, Select, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.db.base import MAX_ID, Base
from app.errors import ConflictError, NotFoundError

M = TypeVar("M", bound=Base)


class Identified(Protocol):
    """A mapped class with an integer ``id`` primary key."""

    id: ClassVar[InstrumentedAttribute[int]]


Row = TypeVar("Row", bound=Identified)

Filter = tuple[InstrumentedAttribute[Any], object]
"""A column and the value it must equal (a None value filters nothing)."""


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
    session: AsyncSession, statement: Select[Any], page: PageParams, *filters: Filter
) -> tuple[list[Any], int]:
    """One page of ``statement``'s rows passing ``filters``, and their count without paging."""
    for column, value in filters:
        if value is not None:
            statement = statement.where(column == value)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = await session.scalars(statement.limit(page.limit).offset(page.offset))
    return list(rows), int(total or 0)


async def first_other(
    session: AsyncSession, model: type[Row], own_id: int | None, *where: ColumnElement[bool]
) -> Row | None:
    """A ``model`` row meeting ``where`` other than row ``own_id`` (None: any row), or None."""
    statement = select(model).where(*where)
    if own_id is not None:
        statement = statement.where(model.id != own_id)
    return await session.scalar(statement.limit(1))


async def ensure_unique(
    session: AsyncSession,
    column: InstrumentedAttribute[Any],
    value: object,
    label: str,
    own_id: int | None = None,
) -> None:
    """Refuse (409) ``value`` for the unique ``column`` when a row but ``own_id`` holds it."""
    holder = await session.scalar(select(column.class_.id).where(column == value))
    if holder is not None and holder != own_id:
        raise ConflictError(f"a {label} with {column.key} {value!r} already exists")


async def take_write_lock(session: AsyncSession, model: type[Identified]) -> None:
    """On SQLite, make the rest of ``session``'s transaction a writer now: a no-op on PostgreSQL.

    Python's ``sqlite3`` (under aiosqlite) runs a SELECT outside any transaction and begins one
    only before the first INSERT/UPDATE/DELETE, so "read, check, then write" is not atomic and
    ``SELECT ... FOR UPDATE`` does not exist. An UPDATE that matches no row (``WHERE 0``: no
    row, so no trigger fires) begins the transaction and takes SQLite's one write lock, waiting
    up to the busy timeout for another writer to commit. Until this transaction ends no one else
    writes, and its reads see the newest data. A transaction that has already written holds the
    lock (and its earlier reads ran outside it): the statement changes nothing then.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(model)
            .where(false())
            .values({model.id: model.id})
            .execution_options(synchronize_session=False)
        )


async def lock_for_update(session: AsyncSession, statement: Select[M]) -> ScalarResult[M]:
    """The rows ``statement`` selects, locked until the transaction ends: ``SELECT ... FOR
    UPDATE`` on PostgreSQL, the database's write lock taken first on SQLite
    (:func:`take_write_lock`). Rows this session loaded before are refreshed, not served from
    its identity map, so a check that follows reads what the lock protects."""
    model = statement.column_descriptions[0]["entity"]
    await take_write_lock(session, model)
    return await session.scalars(
        statement.with_for_update().execution_options(populate_existing=True)
    )


def set_fields(data: BaseModel, exclude: set[str] | None = None) -> dict[str, Any]:
    """The fields a PATCH body gives a value (those left out or null change nothing)."""
    given = data.model_dump(exclude_unset=True, exclude=exclude)
    return {field: value for field, value in given.items() if value is not None}


async def insert_row(session: AsyncSession, item: M) -> M:
    """Add ``item`` and flush, so it has its id."""
    session.add(item)
    await session.flush()
    return item


async def update_row(session: AsyncSession, item: M, changes: dict[str, Any]) -> M:
    """Set ``changes`` (attribute name to value) on ``item`` and flush."""
    for field, value in changes.items():
        setattr(item, field, value)
    await session.flush()
    return item


async def delete_row(session: AsyncSession, item: Base) -> None:
    await session.delete(item)
    await session.flush()

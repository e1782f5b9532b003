"""Typed dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.pagination import PageParams, page_params
from app.db.engine import Database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    async with database.session() as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit (a deadlock, a
# serialization conflict, a lost connection) is answered as an error, never as a 200 whose
# write was rolled back.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
Pagination = Annotated[PageParams, Depends(page_params)]

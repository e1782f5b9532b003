"""The declarative base every table derives from."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


MAX_ID = 2**31 - 1
"""The largest row id: ids are 32-bit ``INTEGER`` columns on PostgreSQL (SQLite allows more),
so a bigger number can name no row and must never reach the database driver."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


def str_enum(enum_type: type[StrEnum]) -> Enum:
    """A portable VARCHAR column that stores the enum's *values* ("resident", not "RESIDENT")."""
    return Enum(
        enum_type,
        native_enum=False,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )

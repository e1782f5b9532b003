"""Version counters that invalidate cached reads.

The database itself bumps ``cache_versions.version`` (triggers created by the migration
``a3c5e7f9b1d2``) whenever shifts, leave, people or academic years change, in the same
transaction as the change. Every cache key carries the version it was computed at, so a write
from any code path, replica or CLI process makes older entries unreachable at commit.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base

SCHEDULE_VERSION = "schedule"


class CacheVersion(Base):
    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

"""Imports every table so metadata (and Alembic) sees the whole schema."""

from app.audit.models import AuditEvent
from app.auth.models import RefreshToken, User
from app.cache.models import CacheVersion
from app.db.base import Base
from app.generation.models import GenerationJobRecord
from app.people.models import Person
from app.rotations.models import Rotation, RotationAssignment
from app.schedules.models import AcademicYear, Block, Leave, Shift
from app.schedules.overrides import ComplianceOverride
from app.swaps.models import SwapRequest

__all__ = [
    "AcademicYear",
    "AuditEvent",
    "Base",
    "Block",
    "CacheVersion",
    "ComplianceOverride",
    "GenerationJobRecord",
    "Leave",
    "Person",
    "RefreshToken",
    "Rotation",
    "RotationAssignment",
    "Shift",
    "SwapRequest",
    "User",
]

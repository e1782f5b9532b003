"""Cache lookups, so hit rate is observable without the cache knowing about metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CacheName = Literal["compliance_report", "schedule"]


@dataclass(frozen=True)
class CacheLookup:
    cache: CacheName
    hit: bool

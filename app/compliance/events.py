"""What the compliance and generation work tells the rest of the service (metrics subscribe).

Labels-to-be are enumerated values only: rule ids, severities, outcomes, sources. Never a
resident, user or schedule id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ValidationSource = Literal["upload", "stored", "shift_change", "generation", "swap"]
GenerationOutcome = Literal["optimal", "feasible", "infeasible", "timeout", "error"]


@dataclass(frozen=True)
class ScheduleValidated:
    source: ValidationSource
    valid: bool
    compliance_score: float
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    """Records found, by (rule, severity)."""
    covers_active_schedule: bool = False
    """True when this report is of the whole active schedule (drives 'current violations')."""


@dataclass(frozen=True)
class ScheduleGenerated:
    outcome: GenerationOutcome
    duration_seconds: float
    residents: int


@dataclass(frozen=True)
class OverrideRecorded:
    rules: tuple[str, ...]

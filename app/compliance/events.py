"""What the compliance and generation work tells the rest of the service (metrics subscribe).

Labels-to-be are enumerated values only: rule ids, severities, outcomes, sources. Never a
resident, user or schedule id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class Severity(StrEnum):
    VIOLATION = "violation"
    WARNING = "warning"


class RuleId(StrEnum):
    """The rules of ``spec/acgme-rules.md`` (``app.compliance.rules`` checks them)."""

    HOURS_80_WEEKLY = "hours_80_weekly"
    REST_AFTER_24H_CALL = "rest_after_24h_call"
    ONE_DAY_OFF_IN_7 = "one_day_off_in_7"
    MAX_CONTINUOUS_24_4 = "max_continuous_24_4"
    IN_HOUSE_CALL_Q3 = "in_house_call_q3"
    PGY1_MOONLIGHTING = "pgy1_moonlighting"
    REST_BETWEEN_SHIFTS_8H = "rest_between_shifts_8h"
    DUTY_ON_LEAVE = "duty_on_leave"


AVERAGED_RULE_IDS = (RuleId.HOURS_80_WEEKLY, RuleId.ONE_DAY_OFF_IN_7, RuleId.IN_HOUSE_CALL_Q3)
"""Averaged over a block; strict mode also checks them over rolling windows (as warnings)."""
WARNING_RULE_IDS = frozenset({RuleId.REST_BETWEEN_SHIFTS_8H, RuleId.DUTY_ON_LEAVE})


def rolling_rule_id(rule_id: str) -> str:
    return f"{rule_id}_rolling"


def rule_severity(rule_id: RuleId) -> Severity:
    return Severity.WARNING if rule_id in WARNING_RULE_IDS else Severity.VIOLATION


RULE_SEVERITIES: tuple[tuple[str, str], ...] = (
    *((rule.value, rule_severity(rule).value) for rule in RuleId),
    *((rolling_rule_id(rule), Severity.WARNING.value) for rule in AVERAGED_RULE_IDS),
)
"""Every (rule, severity) a report can contain."""

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

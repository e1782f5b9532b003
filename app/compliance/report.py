"""Violation records and the compliance report in the spec's JSON shape."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.compliance.events import Severity


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding. ``start``/``end`` are the dates of the block, window or duty period."""

    rule: str
    section: str
    severity: Severity
    resident: str
    start: date
    end: date
    value: float
    limit: float
    message: str
    block: int | None = field(default=None, compare=False)
    """Block the finding counts against for the score; None for strict-mode rolling windows."""

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "section": self.section,
            "severity": str(self.severity),
            "resident": self.resident,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "value": self.value,
            "limit": self.limit,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    violations: tuple[Violation, ...]
    resident_blocks: int
    """Residents x blocks: the denominator of the compliance score."""

    @property
    def valid(self) -> bool:
        return not any(v.severity is Severity.VIOLATION for v in self.violations)

    @property
    def compliance_score(self) -> float:
        """100 * resident-blocks without a violation (warnings don't count) / resident-blocks."""
        if self.resident_blocks == 0:
            return 100.0
        failing = {
            (v.resident, v.block)
            for v in self.violations
            if v.severity is Severity.VIOLATION and v.block is not None
        }
        return round(100 * (self.resident_blocks - len(failing)) / self.resident_blocks, 1)

    def summary(self) -> dict[tuple[str, str], int]:
        """Record counts by (rule, severity), e.g. for metrics; ids only, no residents."""
        return dict(Counter((v.rule, str(v.severity)) for v in self.violations))

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "compliance_score": self.compliance_score,
            "violations": [v.to_json_dict() for v in self.violations],
        }

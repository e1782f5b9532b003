"""What an alert or recording rule is, and how it renders as a Prometheus rule.

Each alert carries a worked example (:class:`Example`): input series on which it must fire, with
the labels it must carry, and the same series in a healthy service, on which it must stay
silent. The test suite turns the examples into ``promtool test rules`` cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "warning", "info"]
RUNBOOK = "docs/runbooks/alerts.md"


@dataclass(frozen=True)
class Example:
    fire: dict[str, str]
    """promtool input series (selector -> values, e.g. ``"0+10x60"``) on which the alert fires."""
    calm: dict[str, str]
    """The same service, healthy: the alert stays silent."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels the fired alert carries besides ``alertname`` and ``severity``."""
    at: int = 30  # minutes after the first sample when the expectation is checked
    interval: int = 1  # minutes between input samples


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    severity: Severity
    summary: str
    description: str
    """Go template text; ``{{ $value }}`` is the expression's value (use a humanize function)."""
    example: Example
    for_: str = "0s"
    group: str = "residency-scheduler"

    @property
    def runbook_anchor(self) -> str:
        return self.name.lower()

    def render(self, runbook_base: str) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook_url": f"{runbook_base}#{self.runbook_anchor}",
            },
        }


@dataclass(frozen=True)
class RecordingRule:
    name: str
    expr: str
    group: str = "residency-scheduler.recording"

    def render(self, runbook_base: str) -> dict[str, Any]:
        del runbook_base  # recordings have no runbook
        return {"record": self.name, "expr": self.expr}


Rule = AlertRule | RecordingRule

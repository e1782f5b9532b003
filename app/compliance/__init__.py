"""ACGME duty-hour compliance: the validator of ``spec/acgme-rules.md``."""

from app.compliance.blocks import (
    Block,
    WindowTotals,
    leave_days_by_resident,
    make_blocks,
    schedule_blocks,
)
from app.compliance.duty_periods import (
    DutyPeriod,
    Gap,
    ResidentDuty,
    duty_gaps,
    merge_duty_periods,
    resident_duty,
)
from app.compliance.events import Severity
from app.compliance.report import ComplianceReport, Violation
from app.compliance.rules import AVERAGED_RULES, RULES, Rule
from app.compliance.table import report_table
from app.compliance.validator import validate_schedule

__all__ = [
    "AVERAGED_RULES",
    "RULES",
    "Block",
    "ComplianceReport",
    "DutyPeriod",
    "Gap",
    "ResidentDuty",
    "Rule",
    "Severity",
    "Violation",
    "WindowTotals",
    "duty_gaps",
    "leave_days_by_resident",
    "make_blocks",
    "merge_duty_periods",
    "report_table",
    "resident_duty",
    "schedule_blocks",
    "validate_schedule",
]

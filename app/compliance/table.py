"""A human-readable rich table of a compliance report (the CLI's ``--format table``)."""

from __future__ import annotations

from rich.table import Table

from app.compliance.events import Severity
from app.compliance.report import ComplianceReport


def report_table(report: ComplianceReport) -> Table:
    verdict = "valid" if report.valid else "NOT valid"
    table = Table(
        title=f"ACGME duty hours: {verdict}, compliance score {report.compliance_score}%",
        caption=_counts(report),
    )
    table.add_column("Resident", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Window", no_wrap=True)
    table.add_column("Value", justify="right")
    table.add_column("Limit", justify="right")
    table.add_column("Finding")
    for v in report.violations:
        style = "red" if v.severity is Severity.VIOLATION else "yellow"
        window = v.start.isoformat() if v.start == v.end else f"{v.start} to {v.end}"
        table.add_row(
            v.resident,
            f"{v.rule}\n§{v.section}",
            window,
            f"{v.value:g}",
            f"{v.limit:g}",
            v.message,
            style=style,
        )
    return table


def _counts(report: ComplianceReport) -> str:
    errors = sum(1 for v in report.violations if v.severity is Severity.VIOLATION)
    warnings = len(report.violations) - errors
    return f"{errors} violations, {warnings} warnings"

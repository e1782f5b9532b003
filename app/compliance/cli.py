"""``residency-scheduler validate FILE``: exit 0 valid, 1 violations, 2 bad input."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app.cli_support import fail
from app.compliance.table import report_table
from app.compliance.validator import validate_schedule
from app.schedules.file_format import ScheduleFileError, load_schedule_file

EXIT_VALID = 0
EXIT_VIOLATIONS = 1


class OutputFormat(StrEnum):
    JSON = "json"
    TABLE = "table"


def validate(
    file: Annotated[Path, typer.Argument(help="Schedule file (JSON) to check.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Also check rolling 28-day windows (warnings).")
    ] = False,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="Report as JSON or as a table.")
    ] = OutputFormat.JSON,
) -> None:
    """Check a schedule file against the ACGME duty-hour rules."""
    try:
        schedule = load_schedule_file(file)
    except ScheduleFileError as exc:
        raise fail(str(exc)) from None
    except (UnicodeDecodeError, RecursionError):
        # file_format lets these escape json.loads; they are bad input all the same
        raise fail(f"{file}: not a valid JSON document") from None
    report = validate_schedule(schedule, strict=strict)
    if format is OutputFormat.TABLE:
        console = Console()
        if not console.is_terminal:
            console.width = 160  # piped: keep rule ids and windows on one line
        console.print(report_table(report))
    else:
        typer.echo(json.dumps(report.to_json_dict(), indent=2))
    raise typer.Exit(EXIT_VALID if report.valid else EXIT_VIOLATIONS)

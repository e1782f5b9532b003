"""``residency-scheduler fairness FILE``: how evenly a schedule shares calls, weekends, holidays,
nights and hours within each PGY class (docs/fairness.md). Exit 0, or 2 on bad input.

Holiday calls are counted on the US federal holidays, or on ``--holidays CODE``'s (a country's
public holidays, or ``none``), or on the calendar of the program the file was generated for
(``--program FILE``: its ``holidays``)."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.table import Table

from app.cli_support import fail
from app.generation.program import ProgramFileError, load_program
from app.schedules.fairness import FairnessReport, Measure, fairness_report
from app.schedules.file_format import ScheduleFileError, load_schedule_file
from app.schedules.holiday_calendar import UnknownCalendarError, country_holidays

HEADINGS: dict[Measure, str] = {
    Measure.CALLS: "Calls",
    Measure.WEEKEND_CALLS: "Weekend calls",
    Measure.HOLIDAY_CALLS: "Holiday calls",
    Measure.HOME_CALLS: "Home calls",
    Measure.NIGHTS: "Nights",
    Measure.HOURS: "Hours",
    Measure.LONGEST_WORK_RUN: "Longest run (days)",
    Measure.LONGEST_CALL_STREAK: "Longest call streak",
}


class OutputFormat(StrEnum):
    JSON = "json"
    TABLE = "table"


def _number(value: float) -> str:
    return f"{value:g}"


def _ends(residents: list[str], limit: int = 3) -> str:
    shown = ", ".join(residents[:limit])
    return shown + (f" (+{len(residents) - limit})" if len(residents) > limit else "")


def fairness_tables(report: FairnessReport) -> Group:
    """Per resident, then the spread of each measure within each PGY class."""
    residents = Table(
        title=f"Fairness, {report.program}: {report.start} to {report.end}",
        caption=f"{len(report.holidays)} holidays in the window",
    )
    residents.add_column("Resident", no_wrap=True)
    residents.add_column("PGY", justify="right")
    for measure in Measure:
        residents.add_column(HEADINGS[measure], justify="right")
    residents.add_column("Leave days", justify="right")
    for row in report.residents:
        residents.add_row(
            row.resident,
            str(row.pgy),
            *(_number(row.value(m)) for m in Measure),
            str(row.leave_days),
        )
    spreads = Table(title="Spread within each PGY class (max - min)")
    spreads.add_column("PGY", justify="right")
    spreads.add_column("Measure", no_wrap=True)
    for heading in ("Min", "Max", "Spread"):
        spreads.add_column(heading, justify="right")
    spreads.add_column("Lowest")
    spreads.add_column("Highest")
    for group in report.classes:
        for measure, spread in group.spreads.items():
            spreads.add_row(
                str(group.pgy),
                HEADINGS[measure],
                _number(spread.min),
                _number(spread.max),
                _number(spread.spread),
                _ends(spread.lowest),
                _ends(spread.highest),
                style="yellow" if spread.spread else None,
            )
        spreads.add_section()
    return Group(residents, spreads)


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--{name}: expected a date YYYY-MM-DD, got {value!r}") from None


def _holidays(code: str | None, program: Path | None, start: date, end: date) -> list[date] | None:
    """The calendar asked for: a country's (or none), the program file's, or None (federal)."""
    if code is not None and program is not None:
        raise fail("--holidays and --program: give one calendar, not both")
    if code is not None:
        try:
            return sorted(country_holidays(code, start, end))
        except UnknownCalendarError as exc:
            raise fail(f"--holidays: {exc}") from None
    if program is not None:
        try:
            return load_program(program).holiday_dates()
        except ProgramFileError as exc:
            raise fail(f"--program: {exc}") from None
        except (UnicodeDecodeError, RecursionError):
            raise fail(f"--program: {program}: not a valid JSON document") from None
    return None


def fairness(
    file: Annotated[Path, typer.Argument(help="Schedule file (JSON) to report on.")],
    start: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: the period's)")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day, YYYY-MM-DD (default: the period's)")
    ] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="Report as JSON or as tables.")
    ] = OutputFormat.JSON,
    holidays: Annotated[
        str | None,
        typer.Option(
            "--holidays",
            help="Count holiday calls on this country's public holidays (US, CA, ...) or on "
            "none (default: US federal holidays).",
        ),
    ] = None,
    program: Annotated[
        Path | None,
        typer.Option(
            "--program",
            help="Count holiday calls on the holidays of this program file (JSON).",
        ),
    ] = None,
) -> None:
    """Per resident and per PGY class: calls, weekend and holiday calls, nights, hours, longest
    runs; the spread of each within a class."""
    first, last = _day(start, "start"), _day(end, "end")
    try:
        schedule = load_schedule_file(file)
    except ScheduleFileError as exc:
        raise fail(str(exc)) from None
    except (UnicodeDecodeError, RecursionError):
        raise fail(f"{file}: not a valid JSON document") from None
    days = _holidays(holidays, program, schedule.period.start, schedule.period.end)
    try:
        report = fairness_report(schedule, start=first, end=last, holidays=days)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if format is OutputFormat.TABLE:
        console = Console()
        if not console.is_terminal:
            console.width = 200  # piped: keep every column readable
        console.print(fairness_tables(report))
    else:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))

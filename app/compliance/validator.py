"""``validate_schedule``: one pass per resident over a parsed schedule file. Pure: no I/O."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import app.compliance.rules as rules
from app.compliance.blocks import (
    BlockFinder,
    ResidentLedger,
    leave_days_by_resident,
    period_days,
    rolling_windows,
    schedule_blocks,
)
from app.compliance.duty_periods import Span, duty_gaps, resident_duty
from app.compliance.report import ComplianceReport, Violation
from app.schedules.clock import Clock, load_zone
from app.schedules.file_format import ScheduleFile, ShiftEntry

_AVERAGED_CHECKS = (rules.hours_80_weekly, rules.one_day_off_in_7, rules.in_house_call_q3)
_ROLLING = tuple(zip(_AVERAGED_CHECKS, (r.rolling() for r in rules.AVERAGED_RULES), strict=True))
_RULE_ORDER = {rule.id: i for i, rule in enumerate(rules.RULES)}


def schedule_clock(schedule: ScheduleFile) -> Clock:
    """The real time axis of a (parsed, so valid) schedule: seconds from its first midnight."""
    zone = load_zone(schedule.timezone) if schedule.timezone else None
    return Clock(schedule.period.start, zone)


def _duty_on_leave(first: date, in_house: list[Span], leave: set[int]) -> dict[int, float]:
    """Leave days (as day indices) on which an in-house shift starts, with its hours."""
    found: dict[int, float] = {}
    for span in in_house:
        day = (span.shift.start.date() - first).days
        if day in leave:
            found[day] = found.get(day, 0.0) + (span.b - span.a) / 3600
    return found


def validate_schedule(schedule: ScheduleFile, *, strict: bool = False) -> ComplianceReport:
    """Check every resident against the rules, per block (spec revision 2).

    ``strict`` also checks the three averaged rules over every rolling 28-day window, reported as
    warnings with the ``_rolling`` suffix (stricter than ACGME, which averages per block).
    """
    first = schedule.period.start
    n_days = period_days(schedule)
    clock = schedule_clock(schedule)
    blocks = schedule_blocks(schedule)
    windows = rolling_windows(first, schedule.period.end) if strict else []
    leave = leave_days_by_resident(schedule)
    shifts: dict[str, list[ShiftEntry]] = defaultdict(list)
    for shift in schedule.shifts:
        shifts[shift.resident].append(shift)
    block_of = BlockFinder(blocks)  # per-event findings count where their duty period starts

    found: list[Violation] = []
    for resident in schedule.residents:
        duty = resident_duty(shifts.get(resident.id, []), clock)
        found += rules.max_continuous_24_4(resident.id, duty.periods, block_of)
        found += rules.rest_after_24h_call(resident.id, duty, block_of)
        short = duty_gaps(duty.periods, shorter_than=rules.REST_BETWEEN_HOURS * rules.HOUR)
        found += rules.rest_between_shifts_8h(resident.id, short, block_of)
        found += rules.pgy1_moonlighting(resident, duty.periods, block_of)

        own_leave = leave.get(resident.id, set())
        worked = _duty_on_leave(first, duty.in_house, own_leave) if own_leave else {}
        if worked:  # work is never hidden by a leave entry: the day stays in the averages
            own_leave = own_leave - worked.keys()
            on_dates = {first + timedelta(days=d): h for d, h in worked.items()}
            found += rules.duty_on_leave(resident.id, on_dates, block_of)
        calls = rules.in_house_call_starts(duty.periods)
        ledger = ResidentLedger(clock, n_days, duty, own_leave, calls)
        for b in blocks:
            totals = ledger.totals(resident.id, b, f"block {b.number}", b.number)
            found.extend(v for check in _AVERAGED_CHECKS if (v := check(totals)))
        for w in windows:
            totals = ledger.totals(resident.id, w, f"the 28 days from {w.start.isoformat()}", None)
            found.extend(v for check, rule in _ROLLING if (v := check(totals, rule)))

    order = {r.id: i for i, r in enumerate(schedule.residents)}
    found.sort(
        key=lambda v: (
            order[v.resident],
            v.start,
            _RULE_ORDER.get(v.rule.removesuffix("_rolling"), 0),
            v.rule,
        )
    )
    return ComplianceReport(
        violations=tuple(found), resident_blocks=len(schedule.residents) * len(blocks)
    )

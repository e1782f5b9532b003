"""``validate_schedule``: one pass per resident over a parsed schedule file. Pure: no I/O."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import app.compliance.rules as rules
from app.compliance.blocks import (
    ResidentLedger,
    block_number,
    leave_days_by_resident,
    make_blocks,
    period_days,
    rolling_windows,
)
from app.compliance.duty_periods import duty_gaps, merge_duty_periods
from app.compliance.report import ComplianceReport, Violation
from app.schedules.file_format import ScheduleFile, ShiftEntry

_AVERAGED_CHECKS = (rules.hours_80_weekly, rules.one_day_off_in_7, rules.in_house_call_q3)
_ROLLING = tuple(zip(_AVERAGED_CHECKS, (r.rolling() for r in rules.AVERAGED_RULES), strict=True))
_RULE_ORDER = {rule.id: i for i, rule in enumerate(rules.RULES)}


def validate_schedule(schedule: ScheduleFile, *, strict: bool = False) -> ComplianceReport:
    """Check every resident against the seven rules, per 28-day block.

    ``strict`` also checks the three averaged rules over every rolling 28-day window, reported as
    warnings with the ``_rolling`` suffix (stricter than ACGME, which averages per block).
    """
    first = schedule.period.start
    n_days = period_days(schedule)
    blocks = make_blocks(first, schedule.period.end)
    windows = rolling_windows(first, schedule.period.end) if strict else []
    leave = leave_days_by_resident(schedule)
    shifts: dict[str, list[ShiftEntry]] = defaultdict(list)
    for shift in schedule.shifts:
        shifts[shift.resident].append(shift)

    def block_of(moment: datetime) -> int:
        """Per-event findings count against the block in which their duty period starts."""
        return block_number(first, len(blocks), moment)

    found: list[Violation] = []
    for resident in schedule.residents:
        own = shifts.get(resident.id, [])
        periods = merge_duty_periods(own)
        gaps = duty_gaps(periods)
        found += rules.max_continuous_24_4(resident.id, periods, block_of)
        found += rules.rest_after_24h_call(resident.id, gaps, block_of)
        found += rules.rest_between_shifts_8h(resident.id, gaps, block_of)
        found += rules.pgy1_moonlighting(resident, periods, block_of)

        ledger = ResidentLedger(first, n_days, own, leave.get(resident.id, set()))
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

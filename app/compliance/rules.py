"""The ACGME duty-hour rules of ``spec/acgme-rules.md`` (revision 2), each a small pure check.

Averaged rules look at one resident's :class:`WindowTotals` (a block, or a rolling window in
strict mode); per-event rules look at one resident's duty periods, gaps and home calls.
Comparisons are done in whole seconds so the boundaries (exactly 80 h/week, exactly 28 h) are exact.

Readings of the spec worth knowing:
- home call is never a duty period: 24 + 4 and the 8-hour warning see in-house duty periods
  only; a home call is duty only for the day-off rule and the 14 h after 24 h in house.
- a gap that ends at or starts from a call-in is no off-duty period (no 8-hour warning).
- home-call ``worked_minutes`` count in the window where the home call starts.
- ``value`` is rounded to one decimal, so 28 h 01 min reads 28.0; messages give h and min.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from app.compliance.blocks import WindowTotals
from app.compliance.duty_periods import DutyPeriod, Gap, ResidentDuty
from app.compliance.events import (
    AVERAGED_RULE_IDS,
    RuleId,
    Severity,
    rolling_rule_id,
    rule_severity,
)
from app.compliance.report import Violation
from app.schedules.file_format import ResidentEntry, ShiftKind

HOUR = 3600
MAX_WEEKLY_HOURS = 80
MAX_CONTINUOUS_HOURS = 28  # 24 h + up to 4 h for transitions
LONG_PERIOD_HOURS = 24
REST_AFTER_LONG_HOURS = 14
REST_BETWEEN_HOURS = 8


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    section: str  # "§2025 (§2017)"
    severity: Severity

    def rolling(self) -> Rule:
        """The strict-mode variant over rolling 28-day windows: a warning, never a violation."""
        return Rule(rolling_rule_id(self.id), self.section, Severity.WARNING)

    def record(
        self,
        resident: str,
        start: date,
        end: date,
        value: float,
        limit: float,
        message: str,
        block: int | None,
    ) -> Violation:
        return Violation(
            rule=self.id,
            section=self.section,
            severity=self.severity,
            resident=resident,
            start=start,
            end=end,
            value=value,
            limit=limit,
            message=message,
            block=block,
        )


def _rule(rule_id: RuleId, section: str) -> Rule:
    return Rule(rule_id.value, section, rule_severity(rule_id))


HOURS_80_WEEKLY = _rule(RuleId.HOURS_80_WEEKLY, "6.20 (VI.F.1)")
REST_AFTER_24H_CALL = _rule(RuleId.REST_AFTER_24H_CALL, "6.21.a (VI.F.2.b)")
ONE_DAY_OFF_IN_7 = _rule(RuleId.ONE_DAY_OFF_IN_7, "6.21.b (VI.F.2.c)")
MAX_CONTINUOUS_24_4 = _rule(RuleId.MAX_CONTINUOUS_24_4, "6.22 (VI.F.3.a)")
IN_HOUSE_CALL_Q3 = _rule(RuleId.IN_HOUSE_CALL_Q3, "6.27 (VI.F.7)")
PGY1_MOONLIGHTING = _rule(RuleId.PGY1_MOONLIGHTING, "6.25.b (VI.F.5.c)")
REST_BETWEEN_SHIFTS_8H = _rule(RuleId.REST_BETWEEN_SHIFTS_8H, "6.21 (VI.F.2.a)")
DUTY_ON_LEAVE = _rule(RuleId.DUTY_ON_LEAVE, "none (program record)")

RULES: tuple[Rule, ...] = (
    HOURS_80_WEEKLY,
    REST_AFTER_24H_CALL,
    ONE_DAY_OFF_IN_7,
    MAX_CONTINUOUS_24_4,
    IN_HOUSE_CALL_Q3,
    PGY1_MOONLIGHTING,
    REST_BETWEEN_SHIFTS_8H,
    DUTY_ON_LEAVE,
)
AVERAGED_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule.id in AVERAGED_RULE_IDS)


def _duration(seconds: float) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h" if minutes == 0 else f"{hours} h {minutes:02d} min"


# --- averaged rules: one window of one resident ---------------------------------------------


def hours_80_weekly(t: WindowTotals, rule: Rule = HOURS_80_WEEKLY) -> Violation | None:
    if t.working_days < 7:  # too little non-leave time to average over
        return None
    # hours / (working_days / 7) <= 80, kept in integers
    if 7 * t.counted_seconds <= MAX_WEEKLY_HOURS * HOUR * t.working_days:
        return None
    average = round(7 * t.counted_seconds / (HOUR * t.working_days), 1)
    message = f"averaged {average} h/week over {t.label}"
    return rule.record(t.resident, t.start, t.end, average, MAX_WEEKLY_HOURS, message, t.block)


def one_day_off_in_7(t: WindowTotals, rule: Rule = ONE_DAY_OFF_IN_7) -> Violation | None:
    required = t.working_days // 7
    if t.days_off >= required:
        return None
    message = f"{t.days_off} free 24 h periods in {t.label}, {required} required"
    return rule.record(t.resident, t.start, t.end, t.days_off, required, message, t.block)


def in_house_call_q3(t: WindowTotals, rule: Rule = IN_HOUSE_CALL_Q3) -> Violation | None:
    allowed = t.working_days // 3
    if t.calls <= allowed:
        return None
    message = f"{t.calls} in-house calls in {t.label}, at most {allowed} allowed"
    return rule.record(t.resident, t.start, t.end, t.calls, allowed, message, t.block)


# --- per-event rules: every duty period or gap of one resident -------------------------------
# They take whole lists (and a block lookup for the few hits) because a year has ~15k periods.

BlockOf = Callable[[datetime], int]
_MAX_CONTINUOUS = MAX_CONTINUOUS_HOURS * HOUR
_LONG_PERIOD = LONG_PERIOD_HOURS * HOUR
_REST_AFTER_LONG = REST_AFTER_LONG_HOURS * HOUR
_REST_BETWEEN = REST_BETWEEN_HOURS * HOUR


def in_house_call_starts(periods: Iterable[DutyPeriod]) -> list[int]:
    """When in-house calls start (rule q3), as real seconds: each ``call`` shift that is not a
    call-in, and each duty period of 24 h or more holding no such shift (a 24-hour shift is call
    by any name)."""
    starts: list[int] = []
    for p in periods:
        if p.calls:
            starts.extend(p.calls)
        elif p.b - p.a >= _LONG_PERIOD:
            starts.append(p.a)
    return starts


def max_continuous_24_4(
    resident: str, periods: Iterable[DutyPeriod], block_of: BlockOf
) -> list[Violation]:
    return [
        MAX_CONTINUOUS_24_4.record(
            resident,
            p.start.date(),
            p.end.date(),
            round(p.hours, 1),
            MAX_CONTINUOUS_HOURS,
            f"continuous duty of {_duration(p.hours * HOUR)}, more than 24 h + 4 h",
            block_of(p.start),
        )
        for p in periods
        if p.b - p.a > _MAX_CONTINUOUS
    ]


def rest_after_24h_call(resident: str, duty: ResidentDuty, block_of: BlockOf) -> list[Violation]:
    """Once per in-house duty period of 24 h or more followed by less than 14 h before the next
    duty of any kind: the next duty period, or a home call (0 h if one is in progress)."""
    found: list[Violation] = []
    periods, homes = duty.periods, duty.home_calls
    home_ends = [h.b for h in homes]
    for i, p in enumerate(periods):
        if p.b - p.a < _LONG_PERIOD:
            continue
        rests: list[tuple[int, str]] = []
        if i + 1 < len(periods):
            rests.append((periods[i + 1].a - p.b, ""))
        k = bisect_right(home_ends, p.b)  # first home call still running after the period
        if k < len(homes):
            rests.append((max(homes[k].a - p.b, 0), " before a home call"))
        if not rests:
            continue
        rest, what = min(rests)
        if rest >= _REST_AFTER_LONG:
            continue
        found.append(
            REST_AFTER_24H_CALL.record(
                resident,
                p.start.date(),
                p.end.date(),
                round(rest / HOUR, 1),
                REST_AFTER_LONG_HOURS,
                f"{_duration(rest)} off after {_duration(p.b - p.a)} of continuous duty"
                f"{what}, {REST_AFTER_LONG_HOURS} h required",
                block_of(p.start),
            )
        )
    return found


def rest_between_shifts_8h(
    resident: str, gaps: Iterable[Gap], block_of: BlockOf
) -> list[Violation]:
    return [
        REST_BETWEEN_SHIFTS_8H.record(
            resident,
            g.before.start.date(),
            g.before.end.date(),
            round(g.hours, 1),
            REST_BETWEEN_HOURS,
            f"{_duration(g.hours * HOUR)} off between duty periods, {REST_BETWEEN_HOURS} h advised",
            block_of(g.before.start),
        )
        for g in gaps
        if g.after.a - g.before.b < _REST_BETWEEN and not g.after_call_in
    ]


def pgy1_moonlighting(
    resident: ResidentEntry, periods: Iterable[DutyPeriod], block_of: BlockOf
) -> list[Violation]:
    """One record per moonlighting shift of a PGY-1 resident, dated by its duty period."""
    if resident.pgy != 1:
        return []
    return [
        PGY1_MOONLIGHTING.record(
            resident.id,
            p.start.date(),
            p.end.date(),
            round(shift.hours, 1),
            0,
            f"PGY-1 moonlighting shift of {_duration(shift.hours * HOUR)} "
            f"on {shift.start.date().isoformat()}",
            block_of(p.start),
        )
        for p in periods
        for shift in p.shifts
        if shift.kind is ShiftKind.MOONLIGHTING
    ]


def duty_on_leave(resident: str, days: dict[date, float], block_of: BlockOf) -> list[Violation]:
    """One warning per leave day with in-house duty (``days``: date -> hours starting on it)."""
    return [
        DUTY_ON_LEAVE.record(
            resident,
            day,
            day,
            round(hours, 1),
            0,
            f"{_duration(hours * HOUR)} of in-house duty on leave day {day.isoformat()}: "
            "the day counts as a working day",
            block_of(datetime.combine(day, datetime.min.time())),
        )
        for day, hours in sorted(days.items())
    ]

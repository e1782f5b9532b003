from __future__ import annotations

from datetime import date

from app.compliance.blocks import (
    ResidentLedger,
    WindowTotals,
    block_number,
    leave_days_by_resident,
    make_blocks,
    rolling_windows,
)
from app.compliance.duty_periods import resident_duty
from app.compliance.rules import in_house_call_starts
from app.schedules.clock import Clock
from app.schedules.file_format import ScheduleFile
from tests.support.schedules import START, at, hours_shift, leave, schedule, shift


def totals(s: ScheduleFile, resident: str = "r01") -> list[WindowTotals]:
    n_days = (s.period.end - s.period.start).days + 1
    own = [x for x in s.shifts if x.resident == resident]
    clock = Clock(s.period.start)
    duty = resident_duty(own, clock)
    ledger = ResidentLedger(
        clock,
        n_days,
        duty,
        leave_days_by_resident(s).get(resident, set()),
        in_house_call_starts(duty.periods),
    )
    blocks = make_blocks(s.period.start, s.period.end)
    return [ledger.totals(resident, b, f"block {b.number}", b.number) for b in blocks]


def test_a_year_is_thirteen_full_blocks() -> None:
    blocks = make_blocks(date(2026, 7, 1), date(2027, 6, 29))
    assert len(blocks) == 13
    assert {b.days for b in blocks} == {28}
    assert (blocks[1].number, blocks[1].start, blocks[1].end) == (
        2,
        date(2026, 7, 29),
        date(2026, 8, 25),
    )


def test_last_block_is_shorter() -> None:
    blocks = make_blocks(START, date(2026, 8, 5))  # 36 days
    assert [(b.number, b.days, b.first_day) for b in blocks] == [(1, 28, 0), (2, 8, 28)]
    assert blocks[-1].end == date(2026, 8, 5)


def test_a_365_day_year_ends_with_a_29_day_block_13() -> None:
    blocks = make_blocks(date(2026, 7, 1), date(2027, 6, 30))
    assert len(blocks) == 13
    assert (blocks[-1].number, blocks[-1].start, blocks[-1].days) == (13, date(2027, 6, 2), 29)


def test_a_tail_shorter_than_a_week_joins_the_block_before() -> None:
    blocks = make_blocks(START, date(2026, 8, 3))  # 34 days: 28 + 6
    assert [(b.number, b.days) for b in blocks] == [(1, 34)]
    assert [(b.number, b.days) for b in make_blocks(START, date(2026, 8, 4))] == [(1, 28), (2, 7)]


def test_block_start_anchors_the_blocks_of_a_part_year() -> None:
    blocks = make_blocks(date(2026, 8, 1), date(2026, 9, 30), date(2026, 7, 1))
    assert [(b.number, b.start, b.end, b.first_day) for b in blocks] == [
        (2, date(2026, 8, 1), date(2026, 8, 25), 0),
        (3, date(2026, 8, 26), date(2026, 9, 22), 25),
        (4, date(2026, 9, 23), date(2026, 9, 30), 53),
    ]


def test_a_head_shorter_than_a_week_joins_the_block_after() -> None:
    blocks = make_blocks(date(2026, 7, 26), date(2026, 9, 30), date(2026, 7, 1))
    head = blocks[0]
    assert (head.number, head.start, head.end) == (2, date(2026, 7, 26), date(2026, 8, 25))
    (only,) = make_blocks(date(2026, 7, 10), date(2026, 7, 14), date(2026, 7, 1))
    assert (only.number, only.days) == (1, 5)  # shorter than a week, no neighbour: one block
    (both,) = make_blocks(date(2026, 7, 26), date(2026, 7, 30), date(2026, 7, 1))
    assert (both.number, both.days) == (2, 5)  # 3 + 2 days: the head joins the tail


def test_rolling_windows_are_every_full_28_days() -> None:
    assert len(rolling_windows(date(2026, 7, 1), date(2027, 6, 29))) == 337
    assert rolling_windows(START, date(2026, 7, 27)) == []  # 27 days: no full window
    window = rolling_windows(START, date(2026, 7, 29))[1]
    assert (window.start, window.end, window.days) == (date(2026, 7, 2), date(2026, 7, 29), 28)


def test_block_number_clamps_outside_the_period() -> None:
    blocks = make_blocks(START, date(2026, 8, 25))
    assert block_number(blocks, at(27, 23)) == 1
    assert block_number(blocks, at(28, 0)) == 2
    assert block_number(blocks, at(-1, 12)) == 1
    assert block_number(blocks, at(90)) == 2


def test_leave_days_collapse_and_are_clipped_to_the_period() -> None:
    s = schedule(days=28, leaves=[leave(-3, 1), leave(1, 2), leave(26, 40)])
    assert leave_days_by_resident(s) == {"r01": {0, 1, 2, 26, 27}}


def test_in_house_hours_are_clipped_at_the_block_edge() -> None:
    call = shift(at(27, 7), at(28, 9), "call")  # 17 h in block 1, 9 h in block 2
    first, second = totals(schedule([call], days=56))
    assert (first.counted_seconds, second.counted_seconds) == (17 * 3600, 9 * 3600)
    assert (first.calls, second.calls) == (1, 0)  # counted in the block where it starts


def test_home_call_counts_worked_minutes_on_its_start_day() -> None:
    home = shift(at(27, 17), at(28, 8), "home_call", worked_minutes=150)
    first, second = totals(schedule([home], days=56))
    assert (first.counted_seconds, second.counted_seconds) == (150 * 60, 0)
    assert first.calls == 0  # never in-house call


def test_hours_on_leave_days_are_removed() -> None:
    s = schedule([hours_shift(3, 7, 12), hours_shift(4, 7, 12)], leaves=[leave(4, 4)])
    (block,) = totals(s)
    assert (block.counted_seconds, block.leave_days, block.working_days) == (12 * 3600, 1, 27)


def test_days_off_cut_at_block_edges() -> None:
    # Free from day 26 19:00 to day 29 07:00 (60 h): 29 h in block 1, 31 h in block 2.
    days = [d for d in range(56) if d not in (27, 28)]
    first, second = totals(schedule([hours_shift(d, 7, 12) for d in days], days=56))
    assert (first.days_off, second.days_off) == (1, 1)


def test_time_before_the_first_and_after_the_last_duty_is_free() -> None:
    (block,) = totals(schedule([hours_shift(3, 0, 24), hours_shift(5, 0, 24)]))
    # days 0-2 (72 h) -> 3, day 4 (24 h) -> 1, days 6-27 (22 * 24 h) -> 22
    assert block.days_off == 26


def test_days_off_cut_at_leave_days_and_leave_is_not_off() -> None:
    # Free from day 10 19:00 to day 20 07:00, with leave on days 12-17.
    days = [d for d in range(28) if not 11 <= d <= 19]
    s = schedule([hours_shift(d, 7, 12) for d in days], leaves=[leave(12, 17)])
    (block,) = totals(s)
    # day 10 19:00 -> day 12 00:00 = 29 h -> 1; day 18 00:00 -> day 20 07:00 = 55 h -> 2
    assert block.days_off == 3


def test_home_call_counts_as_duty_for_days_off() -> None:
    days = [d for d in range(28) if d != 10]
    plain = totals(schedule([hours_shift(d, 7, 12) for d in days]))[0]
    home = shift(at(10, 8), at(10, 20), "home_call")
    with_home = totals(schedule([*(hours_shift(d, 7, 12) for d in days), home]))[0]
    assert (plain.days_off, with_home.days_off) == (1, 0)

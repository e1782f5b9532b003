"""Time the ACGME validator on a synthetic large program year.

Run: ``.venv/bin/python benchmarks/bench_validator.py [--residents 72] [--runs 7]``.
Prints a markdown table row: shifts, parse time, validate time (per-block and strict).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from app.compliance import validate_schedule
from app.schedules.file_format import (
    LeaveEntry,
    Period,
    ResidentEntry,
    ScheduleFile,
    ShiftEntry,
    ShiftKind,
    parse_schedule_json,
)

YEAR_START = date(2026, 7, 1)
BLOCKS = 13
ROTATIONS = ("WARDS", "ICU", "NF", "AMB", "AMB", "WARDS", "AMB", "ICU", "AMB", "NF", "AMB", "WARDS")
MIN_REST = timedelta(hours=10)  # the generator's own rest margin; injected slips go below it


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def _block_shifts(rotation: str, start: date, offset: int, senior: bool) -> list[Candidate]:
    """Candidate shifts of one resident for one block, before rest and leave filtering."""
    out: list[Candidate] = []
    for i in range(28):
        day = start + timedelta(days=i)
        if rotation in ("WARDS", "ICU"):
            phase = (i + offset) % 4  # call, post-call, day, day (one of those off every week)
            if phase == 0:
                out.append(_shift(_at(day, 7), _at(day + timedelta(days=1), 9), ShiftKind.CALL))
            elif phase == 2 or (phase == 3 and (i + offset) // 4 % 2):
                out.append(_shift(_at(day, 7), _at(day, 19), ShiftKind.DAY))
        elif rotation == "NF":
            if day.weekday() != 5:  # Saturday night off
                out.append(_shift(_at(day, 19), _at(day + timedelta(days=1), 7), ShiftKind.NIGHT))
        elif day.weekday() < 5:
            kind = ShiftKind.EDUCATION if day.weekday() == 2 else ShiftKind.CLINIC
            out.append(
                _shift(_at(day, 8), _at(day, 12 if kind is ShiftKind.EDUCATION else 17), kind)
            )
        elif senior and day.weekday() == 5 and (i // 7 + offset) % 2 == 0:
            end = _at(day + timedelta(days=1), 8)
            out.append(_shift(_at(day, 8), end, ShiftKind.HOME_CALL, worked=(offset + 1) * 45))
    return out


Candidate = tuple[datetime, datetime, ShiftKind, int]


def _shift(start: datetime, end: datetime, kind: ShiftKind, worked: int = 0) -> Candidate:
    return (start, end, kind, worked)


def synthetic_year(residents: int, seed: int) -> ScheduleFile:
    """A realistic 364-day year: wards/ICU with 26 h calls every 4th day, night float, clinics,
    weekend home call for seniors, one leave week each, and a few injected rule slips."""
    rng = random.Random(seed)
    people = [
        ResidentEntry(id=f"r{i + 1:03d}", pgy=i * 3 // residents + 1) for i in range(residents)
    ]
    shifts: list[ShiftEntry] = []
    leave: list[LeaveEntry] = []
    for n, person in enumerate(people):
        offset = rng.randrange(4)
        rotations = [ROTATIONS[(n + b) % len(ROTATIONS)] for b in range(BLOCKS)]
        amb = [b for b, r in enumerate(rotations) if r == "AMB"]
        off_start = YEAR_START + timedelta(days=rng.choice(amb) * 28 + rng.randrange(21))
        off_end = off_start + timedelta(days=6)
        leave.append(LeaveEntry(resident=person.id, start=off_start, end=off_end))
        last_end = datetime.min
        for b, rotation in enumerate(rotations):
            block_start = YEAR_START + timedelta(days=b * 28)
            for start, stop, kind, worked in _block_shifts(
                rotation, block_start, offset, person.pgy > 1
            ):
                on_leave = off_start <= start.date() <= off_end
                slip = rng.random() < 0.004  # the odd swap that breaks the rest rules
                if on_leave or (start < last_end + MIN_REST and not slip):
                    continue
                if start < last_end:
                    continue  # never overlap: the file format rejects it
                shifts.append(
                    ShiftEntry(
                        resident=person.id, start=start, end=stop, kind=kind, worked_minutes=worked
                    )
                )
                last_end = stop
    end = YEAR_START + timedelta(days=BLOCKS * 28 - 1)
    return ScheduleFile(
        program="Synthetic Internal Medicine",
        period=Period(start=YEAR_START, end=end),
        residents=people,
        shifts=shifts,
        leave=leave,
    )


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=72)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    schedule = synthetic_year(args.residents, args.seed)
    text = json.dumps(schedule.to_json_dict())
    parse_ms = _median_ms(lambda: parse_schedule_json(text), args.runs)
    parsed = parse_schedule_json(text)
    validate_ms = _median_ms(lambda: validate_schedule(parsed), args.runs)
    strict_ms = _median_ms(lambda: validate_schedule(parsed, strict=True), args.runs)
    report = validate_schedule(parsed)
    strict = validate_schedule(parsed, strict=True)

    row = (
        f"| {args.residents} | {len(parsed.shifts)} | {parse_ms:.1f} | {validate_ms:.1f} "
        f"| {strict_ms:.1f} | {len(report.violations)} ({len(strict.violations)}) "
        f"| {report.compliance_score} |"
    )
    header = (
        "| residents | shifts | parse ms | validate ms | validate --strict ms | records | score |"
    )
    sys.stdout.write(f"{header}\n|---|---|---|---|---|---|---|\n{row}\n")


if __name__ == "__main__":
    main()

"""A tiny program (the demo's interns alone, four blocks) for tests of single model pieces."""

from __future__ import annotations

from typing import Any

from app.generation import parse_program
from app.generation.year import ProgramYear


def tiny_data() -> dict[str, Any]:
    return {
        "name": "Tiny",
        "academic_year_start": "2026-07-01",  # a Wednesday
        "blocks": 4,
        "classes": [{"pgy": 1, "group": "interns", "residents": 8}],
        "shifts": [
            {"name": "day", "kind": "day", "start": "07:00", "hours": 12},
            {"name": "call", "kind": "call", "start": "07:00", "hours": 26},
            {"name": "night", "kind": "night", "start": "19:00", "hours": 12},
            {"name": "clinic", "kind": "clinic", "start": "08:00", "hours": 9},
        ],
        "rotations": [
            {"name": "WARDS", "shifts": ["day", "call"], "max_consecutive_blocks": 2},
            {"name": "NF", "shifts": ["night"], "max_consecutive_blocks": 1},
            {
                "name": "AMB",
                "shifts": ["clinic"],
                "weekly_pattern": ["mon", "tue", "wed", "thu", "fri"],
            },
        ],
        "staffing": {"WARDS": {"interns": 4}, "NF": {"interns": 2}, "AMB": {"interns": "rest"}},
        "coverage": [
            {"rotation": "WARDS", "shift": "call", "exactly": 1},
            {"rotation": "WARDS", "shift": "day", "at_least": 1},
            {"rotation": "NF", "shift": "night", "exactly": 1},
        ],
    }


def tiny_year(**changes: Any) -> ProgramYear:
    """The tiny program with some top-level fields replaced (leave, preferences, staffing...)."""
    data = tiny_data()
    data.update(changes)
    return ProgramYear(parse_program(data))


def leave(resident: str, start: str, end: str) -> dict[str, str]:
    return {"resident": resident, "start": start, "end": end}

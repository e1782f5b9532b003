"""Schedule generation: a program definition in, an ACGME-clean, call-fair schedule file out.

The solver half (OR-Tools, about 2 s to import) loads on first use, so the API server and
commands that never generate start without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.generation.program import (
    DemoSize,
    Program,
    ProgramFileError,
    demo_program,
    load_program,
    parse_program,
)

if TYPE_CHECKING:
    from app.generation.generator import GenerationResult, PhaseStats, Progress, generate_schedule

_SOLVER_NAMES = frozenset({"GenerationResult", "PhaseStats", "Progress", "generate_schedule"})


def __getattr__(name: str) -> Any:
    if name in _SOLVER_NAMES:
        from app.generation import generator

        return getattr(generator, name)
    raise AttributeError(f"module 'app.generation' has no attribute {name!r}")


__all__ = [
    "DemoSize",
    "GenerationResult",
    "PhaseStats",
    "Program",
    "ProgramFileError",
    "Progress",
    "demo_program",
    "generate_schedule",
    "load_program",
    "parse_program",
]

"""Schedule generation: a program definition in, an ACGME-clean, call-fair schedule file out."""

from app.generation.generator import GenerationResult, PhaseStats, Progress, generate_schedule
from app.generation.program import (
    DemoSize,
    Program,
    ProgramFileError,
    demo_program,
    load_program,
    parse_program,
)

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

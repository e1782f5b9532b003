"""One small demo year, generated once per session: several tests read it."""

from __future__ import annotations

import pytest

from app.generation import GenerationResult, Program, demo_program, generate_schedule


@pytest.fixture(scope="session")
def small_program() -> Program:
    return demo_program("small")


@pytest.fixture(scope="session")
def small_result(small_program: Program) -> GenerationResult:
    return generate_schedule(small_program, seed=0)

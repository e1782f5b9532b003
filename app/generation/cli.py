"""``residency-scheduler generate``: exit 0 schedule written, 1 infeasible/timeout (a timeout in
the shift phase still writes the best schedule found, incomplete), 2 bad input."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from app.cli_support import fail
from app.generation.program import Program, ProgramFileError, demo_program, load_program

if TYPE_CHECKING:
    from app.generation.generator import GenerationResult, Progress

EXIT_OK = 0
EXIT_NO_SCHEDULE = 1


class DemoChoice(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


def _progress_text(p: Progress) -> Text:
    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    text = Text(f"{p.phase:<9} ", style="bold")
    text.append(
        f"solutions {p.solutions}  objective {number(p.objective)}  bound {number(p.bound)}  "
        f"elapsed {p.elapsed:.1f} s"
    )
    if p.detail and p.phase != "done":
        text.append(f"  {p.detail}", style="dim")
    return text


def _load(demo: DemoChoice | None, program: Path | None) -> Program:
    if (demo is None) == (program is None):
        raise fail("give exactly one of --demo SIZE and --program FILE")
    try:
        if demo is not None:
            return demo_program(demo.value)
        assert program is not None
        return load_program(program)
    except ProgramFileError as exc:
        raise fail(str(exc)) from None


def _ensure_writable(out: Path) -> None:
    """Refuse (exit 2) an ``--out`` that could not be written, leaving no file behind."""
    existed = out.exists()
    try:
        with out.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise fail(f"--out {out}: cannot write ({exc.strerror})") from None
    if not existed:
        out.unlink()


def generate(
    out: Annotated[Path, typer.Option("--out", help="Where to write the schedule file (JSON).")],
    demo: Annotated[
        DemoChoice | None,
        typer.Option("--demo", help="Generate for the demo program of this size."),
    ] = None,
    program: Annotated[
        Path | None, typer.Option("--program", help="Generate for this program file (JSON).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Solver seed; same seed, same schedule.")] = 0,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", min=0.0, help="Wall-clock limit in seconds (default: none)."),
    ] = None,
) -> None:
    """Generate an ACGME-compliant, call-fair schedule for a residency program."""
    chosen = _load(demo, program)
    _ensure_writable(out)  # before the solve, not after minutes of it
    console = Console(stderr=True)
    last: list[Progress] = []
    with Live(Text("checking the program"), console=console, transient=True) as live:

        def show(progress: Progress) -> None:
            last[:] = [progress]
            live.update(_progress_text(progress))

        from app.generation.generator import generate_schedule  # loads OR-Tools

        result = generate_schedule(
            chosen, seed=seed, time_limit=time_limit, on_progress=show, keep_partial=True
        )
    if last:
        console.print(_progress_text(last[-1]))
    if result.schedule is None:
        console.print(f"{result.status}: {result.explanation}", markup=False, highlight=False)
        raise typer.Exit(EXIT_NO_SCHEDULE)
    try:
        out.write_text(json.dumps(result.schedule.to_json_dict(), indent=1) + "\n", "utf-8")
    except OSError as exc:
        raise fail(f"{out}: cannot write ({exc.strerror})") from None
    console.print(_summary(result, out), markup=False, highlight=False)
    for sentence in result.refused_leave:
        console.print(sentence, markup=False, highlight=False)
    if result.status == "timeout":  # the best schedule so far, written but incomplete
        console.print(f"timeout: {result.explanation}", markup=False, highlight=False)
        raise typer.Exit(EXIT_NO_SCHEDULE)


def _summary(result: GenerationResult, out: Path) -> str:
    assert result.schedule is not None
    schedule = result.schedule
    return (
        f"{result.status}: {len(schedule.shifts)} shifts for {len(schedule.residents)} residents "
        f"({schedule.period.start} to {schedule.period.end}) in {result.wall_time:.1f} s, "
        f"objective {'-' if result.objective is None else f'{result.objective:g}'}; wrote {out}"
    )

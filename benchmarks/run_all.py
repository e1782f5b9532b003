"""Run every benchmark (benchmarks/bench_*.py) one after another and collect their tables.

    make bench                              # all of them
    .venv/bin/python benchmarks/run_all.py validator generator   # a selection by name

Each benchmark prints a markdown table; the combined output is also written to
benchmarks/results/latest.md so it can be copied into docs/benchmarks.md with its command.
Benchmarks run sequentially: on a 2-core machine parallel runs would measure each other.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(selected: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    known = [s.stem.removeprefix("bench_") for s in scripts]
    unknown = [name for name in selected if name not in known]
    if unknown:  # before anything runs or results/latest.md is touched
        sys.stderr.write(
            f"run_all.py: unknown benchmark {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(known)}\n"
        )
        return 2
    if selected:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in selected]
    out: list[str] = []
    failed = 0
    for script in scripts:
        started = time.perf_counter()
        sys.stdout.write(f"\n## {script.stem}\n\n")
        sys.stdout.flush()
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            failed += 1
            sys.stdout.write(f"\nFAILED (exit {result.returncode}):\n{result.stderr[-2000:]}\n")
        elapsed = time.perf_counter() - started
        out.append(f"## {script.stem} ({elapsed:.0f} s)\n\n{result.stdout}\n")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text("\n".join(out), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

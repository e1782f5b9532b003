"""The doctor's report: a table for people, JSON for scripts."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from app.doctor.result import CheckResult, passed

_STYLE = {"ok": "green", "fail": "bold red", "skip": "yellow"}


def as_json(results: list[CheckResult]) -> str:
    """``{"ok": bool, "checks": [{"name", "status", "detail", "fix"}, ...]}``."""
    return json.dumps(
        {"ok": passed(results), "checks": [result.as_dict() for result in results]}, indent=2
    )


def print_table(results: list[CheckResult], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="residency-scheduler doctor", show_lines=True)
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    table.add_column("fix", overflow="fold")
    for result in results:
        style = _STYLE[result.status]
        table.add_row(result.name, f"[{style}]{result.status}[/]", result.detail, result.fix)
    console.print(table)
    failed = sum(result.status == "fail" for result in results)
    console.print("all checks passed" if not failed else f"{failed} check(s) failed")

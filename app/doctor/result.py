"""What one check of ``residency-scheduler doctor`` found: a record, and the run's verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["ok", "fail", "skip"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``fix`` is the concrete step that makes a failing check pass (empty when it passed)."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "ok", detail)


def fail(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, "fail", detail, fix)


def skip(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "skip", detail)


def passed(results: list[CheckResult]) -> bool:
    """True unless a check failed (skipped ones do not count against the run)."""
    return all(result.status != "fail" for result in results)

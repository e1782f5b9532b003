"""``residency-scheduler doctor``: one check per item of the guide's Troubleshooting section,
each a :class:`~app.doctor.result.CheckResult` (ok, fail or skip, a detail and a fix)."""

from app.doctor.result import CheckResult
from app.doctor.run import Targets, run_checks

__all__ = ["CheckResult", "Targets", "run_checks"]

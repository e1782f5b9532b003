"""The service as real processes: its command line, its gunicorn workers, waiting for them."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

CLI = Path(sys.executable).with_name("residency-scheduler")
"""The ``residency-scheduler`` command installed next to this interpreter."""


def wait_for(check: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def live_pids(directory: Path) -> set[int]:
    """Workers alive per their live gauges in the multiprocess directory ``directory``."""
    return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob("gauge_livesum_*.db")}

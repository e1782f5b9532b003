"""Gauges combine across worker processes as their catalog mode says (real processes, real
multiprocess files; the whole server runs in tests/e2e/test_serve_workers.py)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.multiprocess import MultiProcessCollector

from app.core.metrics import catalog as c

WORKER = """
from app.compliance.events import ScheduleValidated
from app.core.metrics.registry import AppMetrics
from app.core.metrics.subscribers import MetricsSink
metrics = AppMetrics(multiprocess_dir={directory!r})
sink = MetricsSink(metrics)
if {validate}:
    counts = {{("hours_80_weekly", "violation"): 2}}
    sink.schedule_validated(
        ScheduleValidated("stored", False, 90.0, counts, covers_active_schedule=True)
    )
"""


def run_worker(directory: Path, *, validate: bool) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    code = WORKER.format(directory=str(directory), validate=validate)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


def merged(directory: Path) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    files = [str(path) for path in directory.glob("*.db")]
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for metric in MultiProcessCollector.merge(files)
        for sample in metric.samples
    }


SCORE = (c.COMPLIANCE_SCORE.name, frozenset())
CURRENT = (
    c.ACGME_CURRENT_VIOLATIONS.name,
    frozenset({("rule", "hours_80_weekly"), ("severity", "violation")}),
)


def test_a_worker_started_later_does_not_hide_a_measured_value(tmp_path: Path) -> None:
    run_worker(tmp_path, validate=False)
    values = merged(tmp_path)
    assert math.isnan(values[SCORE])  # exported, and unknown until measured
    assert values[CURRENT] == 0
    assert values[(c.ACTIVE_USERS.name, frozenset())] == 0
    run_worker(tmp_path, validate=True)  # 2 findings in the active schedule, score 90 %
    run_worker(tmp_path, validate=False)  # e.g. a replacement worker, after the validation
    values = merged(tmp_path)
    assert values[SCORE] == 0.9
    assert values[CURRENT] == 2

"""Host and process collectors, and the exposition as a whole."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from app.core.environment import SERVICE_PID
from app.core.metrics import catalog as c
from app.core.metrics.registry import AppMetrics
from app.core.metrics.system import HostCollector, ServiceProcessCollector


def collected(collector: object) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in collector.collect()  # type: ignore[attr-defined]
        for sample in family.samples
        if not sample.labels
    }


def test_host_collector_reports_cpu_memory_disk_and_network() -> None:
    families = {family.name: family for family in HostCollector().collect()}
    cpu = families[c.HOST_CPU_SECONDS.base_name]
    modes = {sample.labels["mode"] for sample in cpu.samples}
    assert {"user", "system", "idle"} <= modes
    values = collected(HostCollector())
    assert values[c.HOST_MEMORY_TOTAL.name] > values[c.HOST_MEMORY_AVAILABLE.name] > 0
    assert values[c.HOST_CPU_CORES.name] >= 1
    for spec in (c.HOST_DISK_READ, c.HOST_NET_RECEIVED, c.HOST_NET_TRANSMITTED):
        assert spec.name in values
    names = {spec.base_name for spec in c.CATALOG if spec.source == "collector"}
    assert set(families) <= names


def test_service_collector_sums_the_master_and_its_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workers = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) for _ in range(2)
    ]
    try:
        monkeypatch.setenv(SERVICE_PID, str(os.getpid()))
        values = collected(ServiceProcessCollector())
        assert values[c.SERVER_WORKERS.name] >= 2
        assert values[c.PROCESS_RESIDENT_MEMORY.name] > 0
        assert values[c.PROCESS_CPU.name] > 0
        assert values[c.PROCESS_OPEN_FDS.name] > 0
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def test_exposition_has_each_family_once() -> None:
    metrics = AppMetrics()
    families = Counter(family.name for family in metrics.exposition.collect())
    assert [name for name, count in families.items() if count > 1] == []
    for spec in c.CATALOG:
        if spec.source != "exporter":
            assert spec.base_name in families, spec.name

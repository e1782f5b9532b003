"""Host and process metrics, read with psutil when Prometheus scrapes.

The host collector reports the whole machine (CPU time by mode, memory, disk and network I/O),
so it is the same whichever worker answers a scrape. Process metrics come from
prometheus_client's own ``ProcessCollector`` in a single process; with several workers
:class:`ServiceProcessCollector` reports the gunicorn master and all its workers under the same
names, because the process that answers one scrape is only one of them.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator

import psutil
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from app.core.environment import service_pid
from app.core.metrics import catalog
from app.core.metrics.spec import MetricSpec


def family(spec: MetricSpec, value: float | None = None) -> CounterMetricFamily | GaugeMetricFamily:
    """An empty (or single-valued) metric family named and described by ``spec``."""
    labels = list(spec.label_names) or None
    if spec.kind == "counter":
        return CounterMetricFamily(spec.base_name, spec.help, value, labels, unit=spec.unit)
    return GaugeMetricFamily(spec.name, spec.help, value, labels, unit=spec.unit)


def _cpu() -> Iterator[Metric]:
    times = psutil.cpu_times()
    modes = catalog.HOST_CPU_SECONDS.allowed("mode") or ()
    cpu = family(catalog.HOST_CPU_SECONDS)
    for mode in modes:
        if hasattr(times, mode):
            cpu.add_metric([mode], float(getattr(times, mode)))
    yield cpu
    yield family(catalog.HOST_CPU_CORES, float(psutil.cpu_count() or 1))


def _memory() -> Iterator[Metric]:
    memory = psutil.virtual_memory()
    yield family(catalog.HOST_MEMORY_TOTAL, float(memory.total))
    yield family(catalog.HOST_MEMORY_AVAILABLE, float(memory.available))


def _disk() -> Iterator[Metric]:
    try:
        disk = psutil.disk_io_counters(perdisk=False)
    except (OSError, RuntimeError):  # no readable disk statistics (some containers)
        disk = None
    if disk is None:
        return
    yield family(catalog.HOST_DISK_READ, float(disk.read_bytes))
    yield family(catalog.HOST_DISK_WRITTEN, float(disk.write_bytes))
    yield family(catalog.HOST_DISK_READS, float(disk.read_count))
    yield family(catalog.HOST_DISK_WRITES, float(disk.write_count))


def _filesystem() -> Iterator[Metric]:
    try:
        usage = psutil.disk_usage(".")  # the working directory: ./data and logs by default
    except OSError:
        return
    yield family(catalog.HOST_FILESYSTEM_SIZE, float(usage.total))
    yield family(catalog.HOST_FILESYSTEM_FREE, float(usage.free))


def _network() -> Iterator[Metric]:
    received = transmitted = 0
    for name, nic in psutil.net_io_counters(pernic=True).items():
        if not name.startswith("lo"):
            received += nic.bytes_recv
            transmitted += nic.bytes_sent
    yield family(catalog.HOST_NET_RECEIVED, float(received))
    yield family(catalog.HOST_NET_TRANSMITTED, float(transmitted))


class HostCollector:
    """CPU, memory, disk I/O and space, and network I/O of the host."""

    def collect(self) -> Iterator[Metric]:
        yield from _cpu()
        yield from _memory()
        yield from _disk()
        yield from _filesystem()
        yield from _network()


class ServiceProcessCollector:
    """Process metrics of the whole service: the master (``RESIDENCY_SERVICE_PID``) and its
    worker children, plus the worker count. With ``include_process=False`` (one process, where
    prometheus_client's ProcessCollector reports the process) only the worker count."""

    def __init__(self, *, include_process: bool = True) -> None:
        self.include_process = include_process

    def collect(self) -> Iterator[Metric]:
        if not self.include_process:
            yield family(catalog.SERVER_WORKERS, 1.0)
            return
        root_pid = service_pid()
        try:
            root = psutil.Process(root_pid)
            children = root.children()
        except psutil.Error:
            root, children = psutil.Process(), []
        yield family(catalog.SERVER_WORKERS, float(len(children) or 1))
        yield from self._process(root, children)

    @staticmethod
    def _process(root: psutil.Process, children: list[psutil.Process]) -> Iterator[Metric]:
        cpu = rss = vms = fds = 0.0
        for index, process in enumerate([root, *children]):
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    memory = process.memory_info()
                    open_fds = process.num_fds()
            except psutil.Error:  # a worker exited while we looked
                continue
            cpu += times.user + times.system
            if index == 0:  # workers that exited and were reaped by the master
                cpu += times.children_user + times.children_system
            rss += memory.rss
            vms += memory.vms
            fds += open_fds
        yield family(catalog.PROCESS_CPU, cpu)
        yield family(catalog.PROCESS_RESIDENT_MEMORY, rss)
        yield family(catalog.PROCESS_VIRTUAL_MEMORY, vms)
        yield family(catalog.PROCESS_OPEN_FDS, fds)
        yield family(catalog.PROCESS_MAX_FDS, float(resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
        yield family(catalog.PROCESS_START_TIME, root.create_time())

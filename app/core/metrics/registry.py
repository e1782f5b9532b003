"""The live metrics of one application, built from the catalog, and what ``/metrics`` renders.

Each app gets its own :class:`AppMetrics` (its own ``CollectorRegistry``), so tests that build
many apps never see each other's counts. Exposition:

- one process: the app's registry + the host collector + prometheus_client's default registry
  (process, platform and GC collectors, and anything other code registers there, such as
  tracing's dropped-span counter);
- several workers (``PROMETHEUS_MULTIPROC_DIR`` set, as ``serve --workers N`` does): every
  worker writes its values to files in that directory and a scrape, answered by any worker,
  merges all of them (``MultiProcessCollector``), plus the host and a whole-service process
  collector. Exemplars are not kept in this mode (a prometheus_client limitation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.core.metrics.catalog import CATALOG
from app.core.metrics.spec import MetricSpec
from app.core.metrics.system import HostCollector, ServiceProcessCollector

M = TypeVar("M", bound=MetricWrapperBase)
INITIAL_STAMP = 1.0  # seconds since the epoch (see _stamp_initial)


def build_metric(spec: MetricSpec, registry: CollectorRegistry) -> MetricWrapperBase:
    """The prometheus_client object for ``spec``, registered in ``registry``, with the
    spec's initial label combinations already exported at zero."""
    common: dict[str, Any] = {
        "name": spec.base_name,
        "documentation": spec.help,
        "labelnames": spec.label_names,
        "unit": spec.unit,
        "registry": registry,
    }
    metric: MetricWrapperBase
    if spec.kind == "counter":
        metric = Counter(**common)
    elif spec.kind == "gauge":
        metric = Gauge(**common, multiprocess_mode=spec.multiprocess_mode or "all")
    else:
        metric = Histogram(**common, buckets=spec.buckets)
    for combo in spec.initial:
        metric.labels(*combo)
    if isinstance(metric, Gauge) and spec.multiprocess_mode in ("mostrecent", "livemostrecent"):
        _stamp_initial(metric, spec)
    elif isinstance(metric, Gauge) and spec.starts_unknown:
        metric.set(math.nan)
    return metric


def _stamp_initial(gauge: Gauge, spec: MetricSpec) -> None:
    """With several workers a "mostrecent" gauge shows the value with the newest timestamp, and
    one never set (timestamp 0) not at all. So initial values (0, or NaN for ``starts_unknown``)
    are stamped one second after the epoch: shown, yet older than anything a worker measures,
    even when that worker started before this one. (``Gauge.set`` would stamp them "now".)"""
    initial = math.nan if spec.starts_unknown else 0.0
    children = [gauge.labels(*combo) for combo in spec.initial] if spec.labels else [gauge]
    for child in children:
        child._value.set(initial, timestamp=INITIAL_STAMP)


def build_counter(spec: MetricSpec, registry: CollectorRegistry) -> Counter:
    metric = build_metric(spec, registry)
    assert isinstance(metric, Counter), spec.name
    return metric


def build_gauge(spec: MetricSpec, registry: CollectorRegistry) -> Gauge:
    metric = build_metric(spec, registry)
    assert isinstance(metric, Gauge), spec.name
    return metric


class Exposition:
    """Several collectors rendered as one (what ``/metrics`` and the exporter read)."""

    def __init__(self, parts: Iterable[Collector]) -> None:
        self.parts = tuple(parts)

    def collect(self) -> Iterator[Metric]:
        for part in self.parts:
            yield from part.collect()


class AppMetrics:
    """Every ``app``-source catalog metric, live, in one registry."""

    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess_dir = multiprocess_dir
        self._metrics: dict[str, MetricWrapperBase] = {
            spec.name: build_metric(spec, self.registry) for spec in CATALOG if spec.source == "app"
        }
        self.exposition = self._exposition()

    def replace(self, specs: Iterable[MetricSpec], collector: Collector) -> None:
        """Serve ``specs`` from ``collector`` instead of prometheus_client objects."""
        for spec in specs:
            self.registry.unregister(self._metrics.pop(spec.name))
        self.registry.register(collector)

    def counter(self, spec: MetricSpec) -> Counter:
        return self._get(spec, Counter)

    def gauge(self, spec: MetricSpec) -> Gauge:
        return self._get(spec, Gauge)

    def histogram(self, spec: MetricSpec) -> Histogram:
        return self._get(spec, Histogram)

    def _get(self, spec: MetricSpec, kind: type[M]) -> M:
        metric = self._metrics.get(spec.name)
        if not isinstance(metric, kind):
            raise KeyError(f"{spec.name} is not an app {kind.__name__.lower()} of the catalog")
        return metric

    def _exposition(self) -> Exposition:
        if self.multiprocess_dir is None:
            workers = ServiceProcessCollector(include_process=False)
            return Exposition([self.registry, HostCollector(), workers, REGISTRY])
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        platform = CollectorRegistry()
        PlatformCollector(registry=platform)
        return Exposition([merged, HostCollector(), ServiceProcessCollector(), platform])


_serving: list[AppMetrics] = []  # the apps running in this process, the newest last


@contextmanager
def serving(metrics: AppMetrics) -> Iterator[None]:
    """While an app runs (its lifespan), a stand-alone exporter pushes its metrics."""
    _serving.append(metrics)
    try:
        yield
    finally:
        _serving.remove(metrics)


def latest_exposition() -> Collector:
    """What a stand-alone exporter pushes: the metrics of the app that started running last,
    else prometheus_client's default registry."""
    return _serving[-1].exposition if _serving else REGISTRY

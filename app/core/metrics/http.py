"""HTTP request metrics: the ``HttpMetrics`` part of the request telemetry layer.

The layer (``app/core/request_telemetry.py``) already did the expensive parts once per request:
the route template from ``scope["route"]`` (no second walk of the route table), unmatched paths
collapsed, methods allow-listed, ``/metrics`` skipped. What is left here is counting, in one of
two stores chosen by :func:`http_metrics`:

- :class:`LocalHttpMetrics` (one process, the default): plain numbers per (method, route,
  status), one dict lookup and a few additions per request, turned into metric families only
  when scraped. About a quarter of the cost of prometheus_client's locked objects.
- :class:`SharedHttpMetrics` (several workers): prometheus_client objects, because their values
  must live in the multiprocess files every worker's scrape reads.

Both expose the same catalog series: the request counter, the latency histogram (with the trace
id as exemplar) and the in-progress gauge. Built once the app's routes are known, both export
every (method, route template) the app serves with status ``500`` and with the route's own
success status (200, 201, 202 or 204) at zero from the start (:func:`served_routes`), so a
route's first server error, and its first success, are increases ``rate()`` can see.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from fastapi.routing import RouteContext, iter_route_contexts
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.samples import Exemplar
from prometheus_client.utils import floatToGoString
from starlette.routing import BaseRoute

from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics
from app.core.request_telemetry import METHODS as ALLOWED_METHODS
from app.core.request_telemetry import METRICS_PATH, OTHER_METHOD, RequestInfo

HTTP_SPECS = (
    catalog.HTTP_REQUESTS,
    catalog.HTTP_REQUEST_DURATION,
    catalog.HTTP_REQUESTS_IN_PROGRESS,
)
METHODS = catalog.METHOD.values or (OTHER_METHOD,)
BOUNDS = (*catalog.HTTP_REQUEST_DURATION.buckets, math.inf)
LE = tuple(floatToGoString(bound) for bound in BOUNDS)  # type: ignore[no-untyped-call]
SERVER_ERROR = 500
"""Exported at zero from the start for every served route, beside the route's success status."""
OK = 200


def http_metrics(
    metrics: AppMetrics, routes: Sequence[BaseRoute | RouteContext] = ()
) -> LocalHttpMetrics | SharedHttpMetrics:
    """The HTTP metrics for ``metrics``: local numbers in one process, prometheus_client
    objects (in the shared files) with several workers; ``routes`` (the app's) get their
    request counter series with status 500 and their success status at zero."""
    store: LocalHttpMetrics | SharedHttpMetrics
    if metrics.multiprocess_dir is not None:
        store = SharedHttpMetrics(metrics)
    else:
        store = LocalHttpMetrics()
        metrics.replace(HTTP_SPECS, store)
    store.expect(served_routes(routes))
    return store


def served_routes(
    routes: Sequence[BaseRoute | RouteContext], untracked: Iterable[str] = (METRICS_PATH,)
) -> list[tuple[str, str, int]]:
    """Every (method, route template, success status) of ``routes``, including those of
    included routers, as the request layer labels them: the template of the route Starlette
    matches, the method allow-listed, the status the route answers when it succeeds (FastAPI's
    ``status_code``, else 200). ``/metrics`` is left out (never counted), and so is the HEAD
    that Starlette adds to every GET route; mounts and websockets have no methods and no
    template."""
    skip = set(untracked)
    found: dict[tuple[str, str, int], None] = {}
    for context in iter_route_contexts(routes):
        route = context.original_route  # the object the request layer finds in scope["route"]
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not isinstance(path, str) or not methods or path in skip:
            continue
        success = getattr(route, "status_code", None) or OK
        for method in sorted(methods):
            if method == "HEAD" and "GET" in methods:
                continue
            found[(method if method in ALLOWED_METHODS else OTHER_METHOD, path, success)] = None
    return list(found)


class _Series:
    """One (method, route, status): requests per latency bucket, their sum, last exemplars."""

    __slots__ = ("buckets", "exemplar_times", "exemplars", "sum")

    def __init__(self) -> None:
        self.buckets = [0] * len(BOUNDS)
        self.sum = 0.0
        self.exemplars: list[Exemplar | None] = [None] * len(BOUNDS)
        self.exemplar_times = [0.0] * len(BOUNDS)


class LocalHttpMetrics:
    """In-process HTTP metrics. Only the event loop thread writes (the request layer runs
    there); the scrape thread reads copies, whole under the GIL, and derives each series'
    request count from its buckets, so the counter and the histogram always agree."""

    __slots__ = ("_in_progress", "_series")

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], _Series] = {}
        self._in_progress = dict.fromkeys(METHODS, 0)

    def expect(self, routes: Iterable[tuple[str, str, int]]) -> None:
        """Export (method, route, 500) and (method, route, success) at zero (no latency
        series until a request)."""
        for method, route, success in routes:
            for status in (success, SERVER_ERROR):
                self._series.setdefault((method, route, status), _Series())

    def begin(self, method: str) -> None:
        self._in_progress[method] += 1

    def end(self, info: RequestInfo, trace_id: str | None) -> None:
        key = (info.method, info.route, info.status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series()
        index = bisect_left(BOUNDS, info.duration)  # the first bound >= duration: "le"
        series.buckets[index] += 1
        series.sum += info.duration
        if trace_id:
            now = time.time()
            series.exemplars[index] = Exemplar({"trace_id": trace_id}, info.duration, now)
            series.exemplar_times[index] = now
        self._in_progress[info.method] -= 1

    def collect(self) -> Iterator[Metric]:
        requests_spec, duration_spec, progress_spec = HTTP_SPECS
        requests = CounterMetricFamily(
            requests_spec.base_name, requests_spec.help, labels=requests_spec.label_names
        )
        routes: dict[tuple[str, str], _Series] = {}
        for (method, route, status), series in list(self._series.items()):
            buckets = list(series.buckets)
            exemplars, times = list(series.exemplars), list(series.exemplar_times)
            count = sum(buckets)
            requests.add_metric([method, route, str(status)], count)
            if not count:
                continue  # expected, not served yet: a request counter at 0, no histogram
            merged = routes.get((method, route))
            if merged is None:
                merged = routes[(method, route)] = _Series()
            merged.sum += series.sum
            for i, count in enumerate(buckets):
                merged.buckets[i] += count
                if exemplars[i] is not None and times[i] > merged.exemplar_times[i]:
                    merged.exemplars[i], merged.exemplar_times[i] = exemplars[i], times[i]
        duration = HistogramMetricFamily(
            duration_spec.name,
            duration_spec.help,
            labels=duration_spec.label_names,
            unit=duration_spec.unit,
        )
        for labels, merged in routes.items():
            duration.add_metric(list(labels), _cumulative(merged), merged.sum)
        progress = GaugeMetricFamily(
            progress_spec.name, progress_spec.help, labels=progress_spec.label_names
        )
        for method, count in dict(self._in_progress).items():
            progress.add_metric([method], count)
        yield requests
        yield duration
        yield progress


def _cumulative(merged: _Series) -> list[tuple[str, float] | tuple[str, float, Exemplar]]:
    rows: list[tuple[str, float] | tuple[str, float, Exemplar]] = []
    total = 0
    for le, count, exemplar in zip(LE, merged.buckets, merged.exemplars, strict=True):
        total += count
        rows.append((le, total) if exemplar is None else (le, total, exemplar))
    return rows


class SharedHttpMetrics:
    """prometheus_client-backed HTTP metrics (several workers): each (method, route, status)
    keeps its labelled children in a dict, so a request costs one lookup and three updates."""

    __slots__ = ("_duration", "_in_progress", "_requests", "_series")

    def __init__(self, metrics: AppMetrics) -> None:
        self._requests = metrics.counter(catalog.HTTP_REQUESTS)
        self._duration = metrics.histogram(catalog.HTTP_REQUEST_DURATION)
        gauge = metrics.gauge(catalog.HTTP_REQUESTS_IN_PROGRESS)
        self._in_progress: dict[str, Gauge] = {m: gauge.labels(m) for m in METHODS}
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def expect(self, routes: Iterable[tuple[str, str, int]]) -> None:
        """Export (method, route, 500) and (method, route, success) at zero (no latency
        series until a request)."""
        for method, route, success in routes:
            for status in (success, SERVER_ERROR):
                self._requests.labels(method, route, str(status))

    def begin(self, method: str) -> None:
        self._in_progress[method].inc()

    def end(self, info: RequestInfo, trace_id: str | None) -> None:
        key = (info.method, info.route, info.status)
        children = self._series.get(key)
        if children is None:
            method, route, status = key
            children = self._series[key] = (
                self._requests.labels(method, route, str(status)),
                self._duration.labels(method, route),
            )
        requests, duration = children
        requests.inc()
        if trace_id:
            duration.observe(info.duration, {"trace_id": trace_id})
        else:
            duration.observe(info.duration)
        self._in_progress[info.method].dec()

"""HTTP request metrics: the ``HttpMetrics`` part of the request telemetry layer.

The layer (``app/core/request_telemetry.py``) already did the expensive parts once per request:
the route template from ``scope["route"]`` (no second walk of the route table), unmatched paths
collapsed, methods allow-listed, ``/metrics`` skipped. Here each (method, route, status) keeps
its labelled children in a dict, so a request costs one dict lookup, one counter increment and
one histogram observation.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from app.core.metrics import catalog
from app.core.metrics.registry import AppMetrics
from app.core.request_telemetry import OTHER_METHOD, RequestInfo

_Children = tuple[Counter, Histogram]


class HttpMetrics:
    """Requests by method/route/status, latency by method/route (with trace exemplars),
    and requests in progress by method."""

    __slots__ = ("_duration", "_in_progress", "_requests", "_series")

    def __init__(self, metrics: AppMetrics) -> None:
        self._requests = metrics.counter(catalog.HTTP_REQUESTS)
        self._duration = metrics.histogram(catalog.HTTP_REQUEST_DURATION)
        gauge = metrics.gauge(catalog.HTTP_REQUESTS_IN_PROGRESS)
        methods = catalog.METHOD.values or (OTHER_METHOD,)
        self._in_progress: dict[str, Gauge] = {m: gauge.labels(m) for m in methods}
        self._series: dict[tuple[str, str, int], _Children] = {}

    def begin(self, method: str) -> None:
        self._in_progress[method].inc()

    def end(self, info: RequestInfo, trace_id: str | None) -> None:
        key = (info.method, info.route, info.status)
        children = self._series.get(key)
        if children is None:
            children = self._children(key)
        requests, duration = children
        requests.inc()
        if trace_id:
            duration.observe(info.duration, {"trace_id": trace_id})
        else:
            duration.observe(info.duration)
        self._in_progress[info.method].dec()

    def _children(self, key: tuple[str, str, int]) -> _Children:
        method, route, status = key
        children = (
            self._requests.labels(method, route, str(status)),
            self._duration.labels(method, route),
        )
        self._series[key] = children
        return children

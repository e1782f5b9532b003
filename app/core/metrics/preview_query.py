"""Prometheus queries for the dashboard preview: Grafana variables substituted, a step for about
120 points, and ``/api/v1/query_range`` over HTTP.

Pure helpers (:func:`substitute`, :func:`choose_step`, :func:`rate_interval`,
:func:`check_prometheus_url`, :func:`parse_range_result`) plus a small client,
:class:`RangeQuerier`, that turns every answer into a :class:`QueryOutcome` (series or an error
text) and raises :class:`PrometheusUnreachable` only when no answer comes at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.core.metrics.promql import duration

POINTS = 120
DEFAULT_SCRAPE_INTERVAL = 15.0
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")


class BadPrometheusUrl(ValueError):
    """``--prometheus`` is not an ``http(s)://host[:port]`` URL."""


class PrometheusUnreachable(RuntimeError):
    """No HTTP answer from Prometheus (connection refused, DNS, timeout) or not a Prometheus."""


def check_prometheus_url(url: str) -> str:
    """The base URL without a trailing slash; :class:`BadPrometheusUrl` naming ``url``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise BadPrometheusUrl(f"--prometheus {url!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadPrometheusUrl(
            f"--prometheus {url!r} is not an http(s) URL such as http://localhost:9090"
        )
    return url.rstrip("/")


def choose_step(minutes: float, points: int = POINTS) -> int:
    """Whole seconds between points so that ``minutes`` hold about ``points`` of them."""
    if minutes <= 0:
        raise ValueError(f"minutes must be positive, not {minutes}")
    return max(1, math.ceil(minutes * 60 / points))


def rate_interval(step: float, scrape_interval: float = DEFAULT_SCRAPE_INTERVAL) -> str:
    """Grafana's ``$__rate_interval``: max(step + scrape interval, 4 x scrape interval)."""
    return duration(max(step + scrape_interval, 4 * scrape_interval))


def variables(
    job: str, step: int, scrape_interval: float = DEFAULT_SCRAPE_INTERVAL
) -> dict[str, str]:
    """Values for the dashboards' template and Grafana's built-in variables."""
    return {
        "job": job,
        "instance": ".*",
        "__rate_interval": rate_interval(step, scrape_interval),
        "__interval": duration(step),
        "__interval_ms": str(step * 1000),
    }


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """``$name``, ``${name}``, ``${name:format}`` and ``[[name]]`` replaced; unknown ones kept."""

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group is not None)
        return values.get(name, match.group(0))

    return _VARIABLE.sub(replace, expr)


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]]  # (unix time, value); non-finite values dropped


@dataclass
class QueryOutcome:
    expr: str
    series: list[Series] = field(default_factory=list)
    error: str | None = None

    @property
    def points(self) -> int:
        return sum(len(s.points) for s in self.series)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_range_result(expr: str, body: Any) -> QueryOutcome:
    """A ``query_range`` JSON answer (success or error) as a :class:`QueryOutcome`."""
    if not isinstance(body, dict):
        return QueryOutcome(expr, error="Prometheus answered with something other than JSON")
    if body.get("status") != "success":
        kind = body.get("errorType", "error")
        return QueryOutcome(expr, error=f"{kind}: {body.get('error', 'unknown error')}")
    data = body.get("data") or {}
    if data.get("resultType") != "matrix":
        return QueryOutcome(expr, error=f"unexpected result type {data.get('resultType')!r}")
    series = []
    for item in data.get("result") or []:
        points = [
            (float(t), v) for t, raw in item.get("values") or [] if (v := _finite(raw)) is not None
        ]
        series.append(Series(dict(item.get("metric") or {}), points))
    return QueryOutcome(expr, series=series)


class RangeQuerier:
    """Range queries against one Prometheus, through one ``httpx.Client``."""

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, client: httpx.Client | None = None
    ) -> None:
        self.base_url = check_prometheus_url(base_url)
        self.client = client or httpx.Client(timeout=timeout, trust_env=False)

    def close(self) -> None:
        self.client.close()

    def check_reachable(self) -> None:
        """:class:`PrometheusUnreachable` unless ``/api/v1/query`` answers like Prometheus."""
        url = f"{self.base_url}/api/v1/query"
        try:
            response = self.client.get(url, params={"query": "1"})
        except httpx.HTTPError as exc:
            raise PrometheusUnreachable(
                f"cannot reach Prometheus at {self.base_url}: {exc or type(exc).__name__}"
            ) from None
        try:
            status = response.json().get("status")
        except ValueError:
            status = None
        if status != "success":
            raise PrometheusUnreachable(
                f"{self.base_url} does not answer like Prometheus "
                f"(GET /api/v1/query -> HTTP {response.status_code})"
            )

    def query_range(self, expr: str, start: float, end: float, step: int) -> QueryOutcome:
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(step)}
        try:
            response = self.client.get(f"{self.base_url}/api/v1/query_range", params=params)
        except httpx.HTTPError as exc:
            return QueryOutcome(expr, error=f"request failed: {exc or type(exc).__name__}")
        try:
            body = response.json()
        except ValueError:
            return QueryOutcome(expr, error=f"HTTP {response.status_code}: not JSON")
        return parse_range_result(expr, body)

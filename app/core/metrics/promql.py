"""PromQL built from catalog specs, so a rule or a panel never types a metric name again.

Small pure functions that return expression text. Windows are seconds, rendered in Prometheus'
duration syntax; a :class:`Clock` scales every window and ``for`` of a rule set at once (the
end-to-end tests run the real rules with windows of seconds instead of minutes).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.metrics.spec import MetricSpec

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_UNITS = ((DAY, "d"), (HOUR, "h"), (MINUTE, "m"), (1, "s"))


def duration(seconds: float) -> str:
    """``300`` -> ``5m``; whole seconds, at least ``1s``."""
    whole = max(1, round(seconds))
    for size, unit in _UNITS:
        if whole % size == 0:
            return f"{whole // size}{unit}"
    raise AssertionError("unreachable: every whole number of seconds is a multiple of 1")


@dataclass(frozen=True)
class Clock:
    """How long a window really is: ``scale`` 1 in production, less in fast tests."""

    scale: float = 1.0

    def window(self, seconds: float) -> str:
        return duration(seconds * self.scale)


def matchers(labels: dict[str, str]) -> str:
    """``{a="x",b=~"y|z"}`` (a value starting with ``~`` is a regular expression)."""
    if not labels:
        return ""
    parts = [
        f'{name}=~"{value[1:]}"' if value.startswith("~") else f'{name}="{value}"'
        for name, value in labels.items()
    ]
    return "{" + ",".join(parts) + "}"


def series(spec: MetricSpec, suffix: str = "", **labels: str) -> str:
    """The selector of ``spec`` (or of its ``_bucket``/``_count``/``_sum`` series)."""
    name = getattr(spec, suffix) if suffix else spec.name  # histograms: bucket, count or sum
    return str(name) + matchers(labels)


def rate(spec: MetricSpec, window: str, suffix: str = "", **labels: str) -> str:
    return f"rate({series(spec, suffix, **labels)}[{window}])"


def increase(spec: MetricSpec, window: str, suffix: str = "", **labels: str) -> str:
    return f"increase({series(spec, suffix, **labels)}[{window}])"


def quantile(q: float, spec: MetricSpec, window: str, **labels: str) -> str:
    """The ``q`` quantile of a histogram over ``window``, all series summed by bucket."""
    buckets = rate(spec, window, "bucket", **labels)
    return f"histogram_quantile({q}, sum by (le) ({buckets}))"


def ratio(numerator: str, denominator: str) -> str:
    """``numerator / denominator``, empty (never NaN or +Inf) when the denominator is 0."""
    return f"({numerator}) / (({denominator}) > 0)"

"""What a metric is, declared once: name, type, unit, labels with their allowed values, help.

A :class:`MetricSpec` is plain data. The live prometheus_client objects are built from it per
application (``registry.py``); the docs (``docs.py``), alert rules and dashboards read the same
objects, so a metric name is typed exactly once, in ``catalog.py``. Specs check Prometheus'
conventions when they are created, so a badly named metric fails at import.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

MetricKind = Literal["counter", "gauge", "histogram"]
Group = Literal["system", "application", "business", "security", "telemetry"]
Source = Literal["app", "collector", "exporter", "process", "external"]
"""Who produces the samples: ``app`` -- built per application from the catalog (``registry.py``);
``collector`` -- computed at scrape time by our collectors (``system.py``); ``exporter`` -- the
Pushgateway exporter's own metrics; ``process`` -- built from the catalog once per process
(tracing's, on prometheus_client's default registry); ``external`` -- prometheus_client or
another package."""
MultiprocessMode = Literal[
    "all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent",
    "livemostrecent",
]  # fmt: skip

UNITS = ("seconds", "bytes", "ratio", "")
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Labels that would carry people, requests or secrets: never allowed (DESIGN.md principle 3).
FORBIDDEN_LABELS = frozenset(
    {"user", "user_id", "resident", "resident_id", "person", "person_id", "name", "email",
     "request_id", "trace_id", "span_id", "token", "ip", "path", "url", "session"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Label:
    """A label and the values it may take. ``values=None`` means a set bounded by the code
    but not listed here (route templates, HTTP status codes); ``description`` says which."""

    name: str
    values: tuple[str, ...] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not _LABEL.match(self.name) or self.name.startswith("__"):
            raise ValueError(f"label {self.name!r}: not a valid Prometheus label name")
        if self.name in FORBIDDEN_LABELS:
            raise ValueError(f"label {self.name!r}: would carry personal or unbounded data")
        if self.values is None and not self.description:
            raise ValueError(f"label {self.name!r}: an open label needs a description")
        if self.values is not None and len(set(self.values)) != len(self.values):
            raise ValueError(f"label {self.name!r}: duplicate allowed values")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    """The name as scraped: counters end in ``_total``; histograms add ``_bucket``/``_sum``/
    ``_count`` to it."""
    kind: MetricKind
    help: str
    group: Group
    checklist: tuple[str, ...] = ()
    """The items of the guide's Monitoring Checklist this metric serves."""
    unit: str = ""
    labels: tuple[Label, ...] = ()
    buckets: tuple[float, ...] = ()
    multiprocess_mode: MultiprocessMode | None = None
    """How gauges from several worker processes combine (required for ``app`` gauges)."""
    initial: tuple[tuple[str, ...], ...] = ()
    """Label value combinations exported (at zero) from the start, so rate() and alerts see
    a series before the first event."""
    starts_unknown: bool = False
    """Gauges only: NaN until first set, so a threshold (score < 0.95) cannot fire on a process
    that has not measured anything yet."""
    source: Source = "app"
    emitted_by: str = ""
    """For ``external``/``collector`` metrics: the code that produces them."""
    notes: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check_spec(self)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def base_name(self) -> str:
        """The name prometheus_client wants (it adds ``_total`` to counters itself)."""
        return self.name.removesuffix("_total") if self.kind == "counter" else self.name

    @property
    def bucket(self) -> str:
        return self._series("_bucket")

    @property
    def count(self) -> str:
        return self._series("_count")

    @property
    def sum(self) -> str:
        return self._series("_sum")

    def _series(self, suffix: str) -> str:
        if self.kind != "histogram":
            raise AttributeError(f"{self.name} is a {self.kind}, not a histogram")
        return self.name + suffix

    def allowed(self, label: str) -> tuple[str, ...] | None:
        for item in self.labels:
            if item.name == label:
                return item.values
        raise KeyError(f"{self.name} has no label {label!r}")


def _check_spec(spec: MetricSpec) -> None:
    where = f"metric {spec.name!r}"
    if not _NAME.match(spec.name):
        raise ValueError(f"{where}: not a valid Prometheus metric name")
    if not spec.help or not spec.help.endswith("."):
        raise ValueError(f"{where}: help must be a sentence ending in '.'")
    if spec.unit not in UNITS:
        raise ValueError(f"{where}: unit must be one of {UNITS} (base units only)")
    stem = spec.base_name
    if spec.unit and not stem.endswith("_" + spec.unit):
        raise ValueError(f"{where}: the name must end in its unit _{spec.unit}")
    if (spec.kind == "counter") != spec.name.endswith("_total"):
        raise ValueError(f"{where}: counters, and only counters, end in _total")
    if spec.kind == "histogram":
        if not spec.buckets or list(spec.buckets) != sorted(set(spec.buckets)):
            raise ValueError(f"{where}: histogram buckets must be increasing")
    elif spec.buckets:
        raise ValueError(f"{where}: only histograms have buckets")
    if spec.kind == "gauge" and spec.source in ("app", "exporter") and not spec.multiprocess_mode:
        raise ValueError(f"{where}: gauges need an explicit multiprocess_mode")
    if spec.starts_unknown and (spec.kind != "gauge" or spec.labels):
        raise ValueError(f"{where}: only unlabelled gauges can start unknown")
    if spec.kind != "gauge" and spec.multiprocess_mode:
        raise ValueError(f"{where}: only gauges have a multiprocess_mode")
    if spec.source in ("external", "collector", "process") and not spec.emitted_by:
        raise ValueError(f"{where}: say which code emits it (emitted_by)")
    names = spec.label_names
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: duplicate label names")
    if spec.kind == "histogram" and "le" in names:
        raise ValueError(f"{where}: 'le' is reserved for histogram buckets")
    for combo in spec.initial:
        if len(combo) != len(names):
            raise ValueError(f"{where}: initial combination {combo} does not match {names}")
        for label, value in zip(spec.labels, combo, strict=True):
            if label.values is not None and value not in label.values:
                raise ValueError(f"{where}: {value!r} is not an allowed {label.name}")


def every_combination(*labels: Label) -> tuple[tuple[str, ...], ...]:
    """All combinations of enumerated labels (for ``MetricSpec.initial``)."""
    values: list[Iterable[str]] = []
    for label in labels:
        if label.values is None:
            raise ValueError(f"label {label.name!r} is open; list its combinations instead")
        values.append(label.values)
    return tuple(itertools.product(*values))

"""``MetricExportConfig``: how the Pushgateway exporter pushes, as the guide shows it::

from app.core.metrics.exporters import MetricExportConfig

config = MetricExportConfig(export_interval_seconds=60, batch_size=100, retry_attempts=3)
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass(frozen=True)
class MetricExportConfig:
    """How the Pushgateway exporter pushes; every value is checked when created (a bad one
    raises ``ValueError`` naming the field). Each field's ``doc`` metadata is printed in
    ``docs/metrics.md``."""

    export_interval_seconds: float = field(
        default=60.0, metadata=_doc("Seconds between the starts of two push cycles.")
    )
    batch_size: int = field(
        default=100,
        metadata=_doc(
            "Most metric families in one HTTP push; more families go in several POSTs per "
            "cycle (POST replaces only the families it carries, so batches add up)."
        ),
    )
    retry_attempts: int = field(
        default=3,
        metadata=_doc("Retries of a failed push, so at most 1 + retry_attempts tries per batch."),
    )
    timeout_seconds: float = field(
        default=10.0, metadata=_doc("Bound on each push attempt: connect, send and answer.")
    )
    backoff_initial_seconds: float = field(
        default=1.0,
        metadata=_doc(
            "Wait before retry n is min(backoff_max_seconds, backoff_initial_seconds * 2^n), "
            "a random half of it jitter (replicas that failed together retry apart)."
        ),
    )
    backoff_max_seconds: float = field(
        default=30.0, metadata=_doc("Cap of the wait between retries.")
    )
    instance: str | None = field(
        default=None,
        metadata=_doc(
            "The instance grouping label; default the hostname (the app uses hostname:PORT), "
            "so replicas never overwrite each other's group."
        ),
    )
    grouping_key: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc('More grouping labels, e.g. {"region": "eu"} (not job or instance).'),
    )
    push_on_stop: bool = field(
        default=True, metadata=_doc("stop() pushes once more, so the gateway keeps final values.")
    )
    delete_on_stop: bool = field(
        default=False,
        metadata=_doc(
            "stop() then deletes this instance's group (short-lived processes whose metrics "
            "must not linger)."
        ),
    )

    def __post_init__(self) -> None:
        checks: tuple[tuple[str, bool, str], ...] = (
            ("export_interval_seconds", self.export_interval_seconds > 0, "a number > 0"),
            ("batch_size", self.batch_size >= 1, "an integer >= 1"),
            ("retry_attempts", 0 <= self.retry_attempts <= 100, "an integer from 0 to 100"),
            ("timeout_seconds", self.timeout_seconds > 0, "a number > 0"),
            ("backoff_initial_seconds", self.backoff_initial_seconds >= 0, "a number >= 0"),
            (
                "backoff_max_seconds",
                self.backoff_max_seconds >= self.backoff_initial_seconds,
                "a number >= backoff_initial_seconds",
            ),
            ("instance", self.instance is None or bool(self.instance.strip()), "non-empty"),
            (
                "grouping_key",
                all(k and k not in ("job", "instance") for k in self.grouping_key),
                "label names other than job and instance",
            ),
        )
        for name, ok, accepted in checks:
            if not ok:
                raise ValueError(f"MetricExportConfig.{name}: must be {accepted}")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based), with jitter."""
        ceiling = min(self.backoff_max_seconds, self.backoff_initial_seconds * 2.0**retry)
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)

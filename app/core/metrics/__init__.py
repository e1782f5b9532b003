"""Prometheus metrics: the catalog, the app's registry, ``/metrics``, and the Pushgateway
exporter (``app.core.metrics.exporters``). ``docs/metrics.md`` lists every metric."""

from app.core.metrics.install import install_metrics

__all__ = ["install_metrics"]

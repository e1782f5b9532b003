"""Prometheus metrics: the catalog, the app's registry, ``/metrics``, and the Pushgateway
exporter (``app.core.metrics.exporters``). ``docs/metrics.md`` lists every metric.

Importing the package loads nothing: its modules are imported by name.
"""

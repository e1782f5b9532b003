"""Generate ``docs/metrics.md`` from the catalog and the checklist.

python -m app.core.metrics.docs           # rewrite docs/metrics.md
python -m app.core.metrics.docs --check   # exit 1 when it is stale (a test does the same)
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from app.core.metrics.catalog import CATALOG, PUSH_RETRIES, PUSHES
from app.core.metrics.checklist import CHECKLIST
from app.core.metrics.export_config import MetricExportConfig
from app.core.metrics.spec import Label, MetricSpec

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"
GROUPS = (
    ("system", "System"),
    ("application", "Application"),
    ("business", "Business"),
    ("security", "Security"),
    ("telemetry", "Telemetry about telemetry"),
)

HEADER = """\
# Metrics

<!-- Generated from app/core/metrics/catalog.py and checklist.py by
     `python -m app.core.metrics.docs`; a test fails when this file is stale. Do not edit. -->

`GET /metrics` on the API port (`backend:8000/metrics`) serves every metric below: Prometheus
text format 0.0.4, or OpenMetrics 1.0 (with trace-id exemplars on the latency histogram) when
the scraper asks for it in `Accept`; gzip when `Accept-Encoding` allows it. With `METRICS_TOKEN`
set, a scrape must send `Authorization: Bearer <token>` (else 401). Requests to `/metrics` are
not counted. With `residency-scheduler serve --workers N` the numbers are those of all workers
together (prometheus_client multiprocess mode; exemplars are not kept in that mode).

Conventions: base units (`_seconds`, `_bytes`, `_ratio`), counters end in `_total`, label values
are enumerated (unexpected values are counted as `other`), and no label ever carries a user,
resident, request or trace id, or a raw path. Dashboards and alert rules take names from the
catalog objects (`app.core.metrics.catalog`), never from retyped strings.
"""
CHECKLIST_INTRO = """\
Every item of the guide's Monitoring Checklist, the metrics that serve it, and a query that
answers it. The end-to-end tests run each one against a real Prometheus scraping the app, under
steady traffic and on a service that has seen only a few sign-ins, reads, writes and
validations: every query returns data. On such a quiet service a ratio with nothing to divide is
`NaN` (the cache hit rate before any lookup, the generation p95 before any run, the compliance
score while no academic year is stored). Each route's success and 500 series exist at zero
from the start, so its first request counts in `rate()`; a status first seen later (a 404, a
422) counts from its second occurrence. Add your job selector, e.g. `{job="residency-scheduler"}`,
where other jobs share names such as `process_*`.
"""


def _code(text: str) -> str:
    return f"`{text}`"


def _label(label: Label) -> str:
    if label.values is None:
        return f"`{label.name}`: {label.description}"
    values = ", ".join(_code(v) for v in label.values)
    note = f" ({label.description})" if label.description else ""
    return f"`{label.name}`: {values}{note}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(spec: MetricSpec) -> str:
    labels = "<br>".join(_label(label) for label in spec.labels) or "-"
    details = [spec.help]
    if spec.buckets:
        details.append("Buckets: " + ", ".join(f"{b:g}" for b in spec.buckets) + " s.")
    if spec.multiprocess_mode:
        details.append(f"Workers combined: `{spec.multiprocess_mode}`.")
    if spec.source in ("external", "collector", "process"):
        details.append(f"Emitted by {spec.emitted_by}.")
    if spec.notes:
        details.append(spec.notes)
    return (
        f"| {_code(spec.name)} | {spec.kind} | {spec.unit or '-'} | {_cell(labels)} "
        f"| {_cell(' '.join(details))} |"
    )


def _checklist() -> list[str]:
    lines = [
        "## The monitoring checklist",
        "",
        CHECKLIST_INTRO,
        "| section | item | metrics | PromQL |",
        "|---|---|---|---|",
    ]
    for item in CHECKLIST:
        metrics = "<br>".join(_code(spec.name) for spec in item.metrics)
        queries = "<br>".join(f"{q.title}: `{_cell(q.promql)}`" for q in item.queries)
        lines.append(f"| {item.section} | {item.item} | {metrics} | {queries} |")
    return lines


EXPORTER_INTRO = f"""\
## Pushgateway exporter

With `PUSHGATEWAY_URL` set the app pushes everything above every `PUSHGATEWAY_INTERVAL` seconds
(group `job=PUSHGATEWAY_JOB`, `instance=<hostname>:PORT`) and once more at shutdown; with
several workers only one of them pushes. Stand-alone, exactly as the guide shows it:

```python
from app.core.metrics.exporters import MetricExportConfig, create_prometheus_exporter

exporter = create_prometheus_exporter(
    push_gateway_url="localhost:9091", job_name="residency-scheduler", export_interval=60,
    config=MetricExportConfig(export_interval_seconds=60, batch_size=100, retry_attempts=3),
)
await exporter.start()  # first push now, then every interval, off the event loop
await exporter.stop()   # one last push (and a delete with delete_on_stop=True)
```

Failures never raise into the app: they are logged and counted in
`{PUSHES.name}{{result="failure"}}` and
`{PUSH_RETRIES.name}`.

| `MetricExportConfig` field | default | meaning |
|---|---|---|
"""


def _exporter() -> list[str]:
    lines = [EXPORTER_INTRO.rstrip("\n")]
    for item in dataclasses.fields(MetricExportConfig):
        default = "{}" if item.default is dataclasses.MISSING else repr(item.default)
        lines.append(f"| `{item.name}` | `{default}` | {_cell(item.metadata['doc'])} |")
    return lines


def render() -> str:
    lines = [HEADER, *_checklist(), "", *_exporter(), ""]
    for group, title in GROUPS:
        specs = [spec for spec in CATALOG if spec.group == group]
        lines += [
            f"## {title}",
            "",
            "| name | type | unit | labels | description |",
            "|---|---|---|---|---|",
            *(_row(spec) for spec in specs),
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            sys.stderr.write(f"{DOC_PATH} is stale: run python -m app.core.metrics.docs\n")
            return 1
        return 0
    DOC_PATH.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {DOC_PATH}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Shipping configuration (deploy/promtail, deploy/loki, deploy/logstash) against real lines.

Promtail, Loki, Grafana and Logstash cannot run here, so each file is checked for what its
program would need from it, using lines the service really writes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from opentelemetry.sdk.trace import TracerProvider

from app.core.logging import get_logger
from app.core.logging.testing import capture_logs

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
ALLOWED_LABELS = {"service", "level", "environment"}


def promtail() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((DEPLOY / "promtail/promtail-config.yml").read_text())
    return config


def test_promtail_reads_json_and_labels_only_service_level_environment() -> None:
    (job,) = promtail()["scrape_configs"]
    stages = job["pipeline_stages"]
    kinds = [next(iter(stage)) for stage in stages]
    assert kinds.index("json") < kinds.index("labels") < kinds.index("timestamp")
    labels = next(stage["labels"] for stage in stages if "labels" in stage)
    assert set(labels) == ALLOWED_LABELS
    static = {k for c in job["static_configs"] for k in c["labels"] if not k.startswith("__")}
    assert static <= ALLOWED_LABELS
    assert next(stage["labeldrop"] for stage in stages if "labeldrop" in stage) == ["filename"]
    text = (DEPLOY / "promtail/promtail-config.yml").read_text()
    for forbidden in ("trace_id:", "span_id:", "request_id:", "user_pseudonym:", "route:"):
        assert forbidden not in text.split("pipeline_stages:")[1]


def test_promtail_tails_only_the_active_file() -> None:
    (job,) = promtail()["scrape_configs"]
    (path,) = [c["labels"]["__path__"] for c in job["static_configs"]]
    assert path.endswith("/app.log") and "*" not in path  # backups are not read twice


def test_promtail_fields_and_timestamp_format_match_a_real_line() -> None:
    with capture_logs() as lines:
        get_logger("tests.deploy").info("shipped")
    (line,) = lines
    (job,) = promtail()["scrape_configs"]
    stages = job["pipeline_stages"]
    expressions = next(stage["json"]["expressions"] for stage in stages if "json" in stage)
    assert all(source in line for source in expressions.values())
    timestamp_stage = next(stage["timestamp"] for stage in stages if "timestamp" in stage)
    assert timestamp_stage["format"] == "RFC3339Nano"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", str(line["timestamp"]))


def test_loki_derived_field_links_a_real_trace_id_to_jaeger() -> None:
    config = yaml.safe_load((DEPLOY / "loki/grafana-datasource.yml").read_text())
    (loki,) = config["datasources"]
    assert loki["type"] == "loki"
    (field,) = loki["jsonData"]["derivedFields"]
    assert field["datasourceUid"] == "jaeger"
    assert field["url"] == "$${__value.raw}"  # $$: a literal $ in provisioning files
    tracer = TracerProvider().get_tracer("tests.deploy")
    with capture_logs() as lines, tracer.start_as_current_span("x") as span:
        get_logger("tests.deploy").info("in a trace")
    match = re.search(field["matcherRegex"], lines.raw[0])
    assert match is not None
    assert match.group(1) == format(span.get_span_context().trace_id, "032x")


def test_logstash_uses_json_codecs_and_a_daily_index() -> None:
    text = (DEPLOY / "logstash/logstash.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert code.count("{") == code.count("}")
    assert re.search(r"codec\s*=>\s*json\b", code)
    assert re.search(r"codec\s*=>\s*json_lines\b", code)
    assert 'index => "residency-scheduler-%{+YYYY.MM.dd}"' in code
    assert re.search(r'match\s*=>\s*\["timestamp",\s*"ISO8601"\]', code)
    assert "app.log" in code

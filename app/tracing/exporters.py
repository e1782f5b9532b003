"""The exporters a TracingConfig asks for: OTLP (gRPC or HTTP/protobuf), Jaeger (as OTLP to the
Jaeger host), and the console (one JSON line per span) for development."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from opentelemetry.sdk.trace.export import SpanExporter

from app.core.otlp_endpoints import OtlpTarget, resolve_jaeger, resolve_otlp
from app.tracing.config import TracingConfig
from app.tracing.console import JsonConsoleSpanExporter
from app.tracing.metrics import ExporterName

logger = logging.getLogger(__name__)
_noticed: set[str] = set()


@dataclass(frozen=True, slots=True)
class ExporterPlan:
    name: ExporterName
    target: OtlpTarget | None  # None: the console


def plan_exporters(config: TracingConfig) -> list[ExporterPlan]:
    """Where spans go, without connecting anywhere (also what ``doctor``-style checks print)."""
    plans: list[ExporterPlan] = []
    if config.otlp_endpoint:
        plans.append(ExporterPlan("otlp", resolve_otlp(config.otlp_endpoint, config.otlp_protocol)))
    if config.jaeger_endpoint:
        jaeger = resolve_jaeger(config.jaeger_endpoint, config.otlp_protocol)
        if jaeger.legacy_port is not None and config.jaeger_endpoint not in _noticed:
            _noticed.add(config.jaeger_endpoint)
            logger.info(
                "jaeger_endpoint %s is a legacy Jaeger port (%d); OpenTelemetry no longer has "
                "Jaeger exporters, so spans go to the same host as OTLP (%s %s). Jaeger >= 1.35 "
                "receives OTLP (ports 4317/4318; set COLLECTOR_OTLP_ENABLED=true before 1.50).",
                config.jaeger_endpoint,
                jaeger.legacy_port,
                jaeger.target.protocol,
                jaeger.target.url,
            )
        if plans and plans[0].target == jaeger.target:
            logger.info("jaeger_endpoint and otlp_endpoint are the same destination; sending once")
        else:
            plans.append(ExporterPlan("jaeger", jaeger.target))
    if config.console:
        plans.append(ExporterPlan("console", None))
    return plans


def build_exporter(plan: ExporterPlan, config: TracingConfig) -> SpanExporter:
    target = plan.target
    if target is None:
        return JsonConsoleSpanExporter()  # one JSON line per span, ids as the logs write them
    if target.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter(
            endpoint=target.url, insecure=target.insecure, timeout=config.export_timeout
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    return HttpExporter(endpoint=target.url, timeout=config.export_timeout)

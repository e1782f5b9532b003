"""Where spans go: OTLP endpoints (gRPC or HTTP/protobuf) and the Jaeger address mapping.

OpenTelemetry removed its Jaeger exporters (2023) and Jaeger >= 1.35 receives OTLP natively, so a
Jaeger endpoint is honoured by sending OTLP to that Jaeger host. Legacy Jaeger ports map to the
OTLP port of the same host: agent UDP 6831/6832 and collector gRPC 14250 -> OTLP/gRPC 4317,
collector HTTP 14268 -> OTLP/HTTP 4318.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import SplitResult, urlsplit

OtlpProtocol = Literal["grpc", "http/protobuf"]
PROTOCOLS: tuple[OtlpProtocol, ...] = ("grpc", "http/protobuf")
GRPC_PORT = 4317
HTTP_PORT = 4318
TRACES_PATH = "/v1/traces"
_SCHEMES = ("http", "https", "grpc", "grpcs")
_JAEGER_TO_OTLP: dict[int, tuple[OtlpProtocol, int]] = {
    6831: ("grpc", GRPC_PORT),  # agent, UDP compact Thrift
    6832: ("grpc", GRPC_PORT),  # agent, UDP binary Thrift
    14250: ("grpc", GRPC_PORT),  # collector, gRPC model.proto
    14268: ("http/protobuf", HTTP_PORT),  # collector, HTTP Thrift (/api/traces)
}
EXPECTED = "http://HOST:PORT, https://HOST:PORT, grpc://HOST:PORT or HOST:PORT"


class EndpointError(ValueError):
    """An endpoint string that is not an address spans can be sent to."""


@dataclass(frozen=True, slots=True)
class OtlpTarget:
    """A resolved OTLP destination: ``url`` is ``HOST:PORT`` for gRPC and the full
    ``.../v1/traces`` URL for HTTP."""

    protocol: OtlpProtocol
    url: str
    insecure: bool = True


@dataclass(frozen=True, slots=True)
class JaegerTarget:
    target: OtlpTarget
    legacy_port: int | None  # set when a legacy Jaeger port was mapped to OTLP


def _split(raw: str) -> SplitResult:
    text = raw.strip()
    if not text:
        raise EndpointError(f"empty endpoint; expected {EXPECTED}")
    has_scheme = "://" in text
    try:
        parts = urlsplit(text if has_scheme else f"//{text}")
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise EndpointError(f"{raw!r} has an invalid port; expected {EXPECTED}") from None
    if has_scheme and parts.scheme not in _SCHEMES:
        raise EndpointError(f"{raw!r} has unsupported scheme {parts.scheme!r}; expected {EXPECTED}")
    if not parts.hostname:
        raise EndpointError(f"{raw!r} has no host; expected {EXPECTED}")
    if parts.query or parts.fragment or parts.username is not None:
        raise EndpointError(f"{raw!r} must not carry credentials, a query or a fragment")
    if port == 0:
        raise EndpointError(f"{raw!r} has port 0; expected 1-65535")
    return parts


def validate_endpoint(raw: str) -> None:
    _split(raw)


def infer_protocol(parts: SplitResult) -> OtlpProtocol:
    """gRPC for ``grpc://``, port 4317 or a bare ``HOST:PORT``; HTTP/protobuf otherwise."""
    if parts.scheme in ("grpc", "grpcs") or parts.port == GRPC_PORT:
        return "grpc"
    if not parts.scheme:
        return "http/protobuf" if parts.port == HTTP_PORT else "grpc"
    return "http/protobuf"


def resolve_otlp(
    raw: str, protocol: OtlpProtocol | None = None, *, append_path: bool = False
) -> OtlpTarget:
    """Resolve an OTLP endpoint. HTTP targets get ``/v1/traces`` when they have no path (or
    always, with ``append_path``, as for ``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
    parts = _split(raw)
    protocol = protocol or infer_protocol(parts)
    secure = parts.scheme in ("https", "grpcs")
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else str(parts.hostname)
    if protocol == "grpc":
        return OtlpTarget("grpc", f"{host}:{parts.port or GRPC_PORT}", insecure=not secure)
    path = parts.path.rstrip("/")
    if append_path or not path:
        path += TRACES_PATH
    scheme = "https" if secure else "http"
    return OtlpTarget("http/protobuf", f"{scheme}://{host}:{parts.port or HTTP_PORT}{path}")


def resolve_jaeger(raw: str, protocol: OtlpProtocol | None = None) -> JaegerTarget:
    """A Jaeger address as an OTLP target on the same host (legacy ports mapped)."""
    parts = _split(raw)
    mapped = _JAEGER_TO_OTLP.get(parts.port or 0)
    if mapped is None:
        if parts.port is None and not parts.scheme:
            return JaegerTarget(resolve_otlp(f"{raw.strip()}:{GRPC_PORT}", protocol), None)
        return JaegerTarget(resolve_otlp(raw, protocol), None)
    mapped_protocol, port = mapped
    scheme = "https" if parts.scheme in ("https", "grpcs") else "http"
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else str(parts.hostname)
    target = resolve_otlp(f"{scheme}://{host}:{port}", mapped_protocol)
    return JaegerTarget(target, parts.port)

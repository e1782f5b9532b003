"""A local OTLP trace receiver (gRPC and HTTP/protobuf) that decodes what exporters send.

Collectors and Jaeger cannot run here; this receiver speaks their protocol: the gRPC
``TraceService/Export`` method (grpcio + opentelemetry-proto's generated service) and
``POST /v1/traces`` with an ``ExportTraceServiceRequest`` protobuf body (gzip accepted), and
keeps every span for assertions::

    with otlp_grpc_receiver() as receiver:
        config = TracingConfig(otlp_endpoint=receiver.endpoint)
        ...
        span = receiver.wait_for(lambda s: s.name == "GET /api/v1/people")

``delay`` makes it a slow collector and ``pause()`` a stuck one; ``receiver.raw`` keeps the
undecoded payloads, so a canary search covers every byte that left the process.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1 import trace_pb2

_KINDS = {v: k.removeprefix("SPAN_KIND_") for k, v in trace_pb2.Span.SpanKind.items()}
_STATUS = {v: k.removeprefix("STATUS_CODE_") for k, v in trace_pb2.Status.StatusCode.items()}


def decode_value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [decode_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return decode_attributes(value.kvlist_value.values)
    return None if kind is None else getattr(value, kind)


def decode_attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: decode_value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: str  # hex
    span_id: str
    parent_span_id: str | None
    kind: str  # SERVER, CLIENT, INTERNAL...
    attributes: dict[str, Any]
    status: str  # UNSET, OK, ERROR
    status_message: str
    events: list[tuple[str, dict[str, Any]]]
    resource: dict[str, Any]
    scope: str
    flags: int = 0
    links: list[tuple[str, str]] = field(default_factory=list)


def decode_request(request: trace_service_pb2.ExportTraceServiceRequest) -> list[ReceivedSpan]:
    spans: list[ReceivedSpan] = []
    for resource_spans in request.resource_spans:
        resource = decode_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex() or None,
                        kind=_KINDS[span.kind],
                        attributes=decode_attributes(span.attributes),
                        status=_STATUS[span.status.code],
                        status_message=span.status.message,
                        events=[(e.name, decode_attributes(e.attributes)) for e in span.events],
                        resource=resource,
                        scope=scope_spans.scope.name,
                        flags=span.flags,
                        links=[(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                    )
                )
    return spans


class OtlpReceiver:
    """What both transports share: the collected spans and raw payloads."""

    endpoint: str

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Condition()
        self._spans: list[ReceivedSpan] = []
        self.raw: list[bytes] = []
        self.requests = 0

    def pause(self) -> None:
        """Hold every export until :meth:`resume`: a stuck collector, deterministically."""
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def _receive(self, payload: bytes) -> trace_service_pb2.ExportTraceServiceResponse:
        self._open.wait(30)
        if self.delay:
            time.sleep(self.delay)
        request = trace_service_pb2.ExportTraceServiceRequest.FromString(payload)
        with self._lock:
            self.raw.append(payload)
            self.requests += 1
            self._spans.extend(decode_request(request))
            self._lock.notify_all()
        return trace_service_pb2.ExportTraceServiceResponse()

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self.raw.clear()

    def wait_until(
        self, ready: Callable[[list[ReceivedSpan]], bool], timeout: float = 10.0
    ) -> list[ReceivedSpan]:
        """Block until ``ready(spans)`` holds; AssertionError (with what arrived) on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not ready(self._spans):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    names = sorted({s.name for s in self._spans})
                    raise AssertionError(f"spans not received in {timeout}s; got {names}")
                self._lock.wait(remaining)
            return list(self._spans)

    def wait_for(
        self, match: Callable[[ReceivedSpan], bool], timeout: float = 10.0
    ) -> ReceivedSpan:
        spans = self.wait_until(lambda spans: any(match(s) for s in spans), timeout)
        return next(s for s in spans if match(s))


class OtlpGrpcReceiver(OtlpReceiver):
    def __init__(self, delay: float = 0.0, port: int = 0) -> None:
        super().__init__(delay)
        receiver = self

        class Servicer(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
            def Export(  # the generated service's method name
                self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
            ) -> trace_service_pb2.ExportTraceServiceResponse:
                return receiver._receive(request.SerializeToString())

        self._server = grpc.server(ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), self._server)
        self.port = self._server.add_insecure_port(f"127.0.0.1:{port}")  # RuntimeError if taken
        self.address = f"127.0.0.1:{self.port}"
        self.endpoint = f"grpc://{self.address}"  # not port 4317, so the scheme says gRPC

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=0).wait(5)


class OtlpHttpReceiver(OtlpReceiver):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(delay)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != "/v1/traces":
                    self._reply(404, b"not found", "text/plain")
                    return
                if self.headers.get("Content-Type") != "application/x-protobuf":
                    self._reply(415, b"only application/x-protobuf", "text/plain")
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                response = receiver._receive(body)
                self._reply(200, response.SerializeToString(), "application/x-protobuf")

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.base_url}/v1/traces"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def otlp_grpc_receiver(delay: float = 0.0, port: int = 0) -> Iterator[OtlpGrpcReceiver]:
    receiver = OtlpGrpcReceiver(delay, port)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@contextmanager
def otlp_http_receiver(delay: float = 0.0) -> Iterator[OtlpHttpReceiver]:
    receiver = OtlpHttpReceiver(delay)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()

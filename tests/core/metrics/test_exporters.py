"""The Pushgateway exporter, as the guide calls it, against a real Pushgateway."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import default_handler
from prometheus_client.parser import text_string_to_metric_families

from app.core.metrics import catalog as c
from app.core.metrics.exporters import (
    MetricExportConfig,
    PrometheusExporter,
    create_prometheus_exporter,
)
from tests.support.api import build_app, client_for
from tests.support.servers import PushgatewayServer, pushgateway_server

JOB = "residency-scheduler"
FAST = {"backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.02, "timeout_seconds": 2.0}


@pytest.fixture
def gateway() -> Iterator[PushgatewayServer]:
    with pushgateway_server() as server:
        yield server


def gateway_samples(server: PushgatewayServer) -> dict[tuple[str, frozenset[Any]], float]:
    text = httpx.get(f"{server.url}/metrics", trust_env=False, timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def pushed(server: PushgatewayServer, name: str, **labels: str) -> float | None:
    for (sample, sample_labels), value in gateway_samples(server).items():
        if sample == name and set(labels.items()) <= sample_labels:
            return value
    return None


def groups(server: PushgatewayServer) -> list[dict[str, str]]:
    body = httpx.get(f"{server.url}/api/v1/metrics", trust_env=False, timeout=5).json()
    return [group["labels"] for group in body["data"]]


def registry_with(families: int) -> tuple[CollectorRegistry, list[Counter]]:
    registry = CollectorRegistry()
    counters = [Counter(f"demo_{i}", f"Demo {i}.", registry=registry) for i in range(families)]
    for i, counter in enumerate(counters):
        counter.inc(i + 1)
    return registry, counters


class Recording:
    """A push handler that records each request and passes it to the real gateway."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []

    def __call__(self, url: str, method: str, timeout: float | None, headers: Any, data: bytes):  # type: ignore[no-untyped-def]
        self.requests.append((method, url, data))
        return default_handler(url, method, timeout, headers, data)

    def families_per_push(self) -> list[int]:
        return [
            sum(  # _created series (when enabled) are part of their family, not families
                not family.name.endswith("_created")
                for family in text_string_to_metric_families(data.decode())
            )
            for method, _, data in self.requests
            if method == "POST"
        ]


def test_the_guides_call_and_config() -> None:
    exporter = create_prometheus_exporter(
        push_gateway_url="localhost:9091", job_name="residency-scheduler", export_interval=60
    )
    assert exporter.config.export_interval_seconds == 60
    assert exporter.url == "http://localhost:9091" and exporter.job == JOB
    assert exporter.grouping_key == {"instance": socket.gethostname()}
    config = MetricExportConfig(export_interval_seconds=60, batch_size=100, retry_attempts=3)
    assert (config.batch_size, config.retry_attempts) == (100, 3)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("export_interval_seconds", 0),
        ("batch_size", 0),
        ("retry_attempts", -1),
        ("timeout_seconds", 0),
        ("backoff_initial_seconds", -1),
        ("instance", " "),
        ("grouping_key", {"job": "x"}),
    ],
)
def test_bad_config_names_the_field(field: str, bad: object) -> None:
    with pytest.raises(ValueError, match=f"MetricExportConfig.{field}"):
        MetricExportConfig(**{field: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["", "ftp://gateway:9091", "gateway:port", "http://"])
def test_a_bad_gateway_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="push_gateway_url"):
        create_prometheus_exporter(push_gateway_url=url)


def test_a_bad_pushgateway_url_setting_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.config import SettingsError, load_settings

    monkeypatch.setenv("PUSHGATEWAY_URL", "ftp://x:1")
    with pytest.raises(SettingsError, match="PUSHGATEWAY_URL: must be HOST:PORT or an http"):
        load_settings()


def test_backoff_is_exponential_capped_and_jittered() -> None:
    config = MetricExportConfig(backoff_initial_seconds=1, backoff_max_seconds=8)
    for retry, ceiling in enumerate((1, 2, 4, 8, 8)):
        waits = {config.backoff(retry) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jitter


async def test_pushes_arrive_in_batches_with_the_grouping_key(gateway: PushgatewayServer) -> None:
    registry, _ = registry_with(7)
    handler = Recording()
    exporter = create_prometheus_exporter(
        push_gateway_url=f"127.0.0.1:{gateway.port}",  # no scheme, as in the guide
        job_name=JOB,
        config=MetricExportConfig(batch_size=3, instance="replica-a", grouping_key={"zone": "z1"}),
        source=registry,
        handler=handler,
    )
    assert await exporter.push() is True
    # 7 families of the source and the exporter's own 3, at most 3 per push
    assert handler.families_per_push() == [3, 3, 3, 1]
    assert {method for method, _, _ in handler.requests} == {"POST"}
    assert {"job": JOB, "instance": "replica-a", "zone": "z1"} in groups(gateway)
    for i in range(7):
        assert pushed(gateway, f"demo_{i}_total", instance="replica-a", zone="z1") == i + 1
    assert pushed(gateway, c.PUSHES.name, result="success") is not None
    await exporter.stop()


async def test_replicas_do_not_overwrite_each_other(gateway: PushgatewayServer) -> None:
    for instance, amount in (("host-1:8000", 5), ("host-2:8000", 9)):
        registry = CollectorRegistry()
        Counter("demo_requests", "Demo.", registry=registry).inc(amount)
        exporter = create_prometheus_exporter(
            push_gateway_url=gateway.url,
            config=MetricExportConfig(instance=instance),
            source=registry,
        )
        assert await exporter.push()
        await exporter.stop()
    assert pushed(gateway, "demo_requests_total", instance="host-1:8000") == 5
    assert pushed(gateway, "demo_requests_total", instance="host-2:8000") == 9


async def test_gateway_down_is_counted_not_raised_and_pushes_resume(
    gateway: PushgatewayServer,
) -> None:
    registry, counters = registry_with(2)
    own = CollectorRegistry()
    exporter = create_prometheus_exporter(
        push_gateway_url=gateway.url,
        config=MetricExportConfig(retry_attempts=2, instance="flaky", **FAST),
        source=registry,
        registry=own,
    )
    assert await exporter.push()
    gateway.stop()
    assert await exporter.push() is False  # no exception
    assert own.get_sample_value(c.PUSHES.name, {"result": "failure"}) == 1
    assert own.get_sample_value(c.PUSH_RETRIES.name) == 2
    gateway.start()  # same port; its memory is empty (no persistence)
    counters[0].inc(10)
    assert await exporter.push() is True
    assert pushed(gateway, "demo_0_total", instance="flaky") == 11
    assert own.get_sample_value(c.PUSHES.name, {"result": "success"}) == 2
    assert (own.get_sample_value(c.PUSH_LAST_SUCCESS.name) or 0) > 0
    await exporter.stop()


async def wait_until(check: Callable[[], bool]) -> None:
    """Poll the gateway (an outside process: nothing to await but time)."""
    for _ in range(400):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met within 20 s")


async def test_start_pushes_periodically_and_stop_pushes_once_more(
    gateway: PushgatewayServer,
) -> None:
    registry = CollectorRegistry()
    gauge = Gauge("demo_level", "Demo.", registry=registry)
    gauge.set(1)
    exporter = create_prometheus_exporter(
        push_gateway_url=gateway.url,
        export_interval=0.1,
        config=MetricExportConfig(instance="periodic", **FAST),
        source=registry,
    )
    await exporter.start()
    await wait_until(lambda: pushed(gateway, "demo_level", instance="periodic") == 1)
    gauge.set(2)
    await wait_until(lambda: pushed(gateway, "demo_level", instance="periodic") == 2)
    await exporter.stop()
    assert not exporter.running
    gauge.set(3)  # after the loop stopped; only stop()'s own push could have carried it
    await exporter.stop()  # a second stop pushes again and is harmless
    assert pushed(gateway, "demo_level", instance="periodic") == 3


async def test_the_loop_survives_the_gateway_going_down_and_coming_back(
    gateway: PushgatewayServer,
) -> None:
    registry, counters = registry_with(1)
    own = CollectorRegistry()
    exporter = create_prometheus_exporter(
        push_gateway_url=gateway.url,
        export_interval=0.1,
        config=MetricExportConfig(retry_attempts=1, instance="loop", **FAST),
        source=registry,
        registry=own,
    )
    await exporter.start()
    await wait_until(lambda: pushed(gateway, "demo_0_total", instance="loop") == 1)
    gateway.stop()
    await wait_until(lambda: (own.get_sample_value(c.PUSHES.name, {"result": "failure"}) or 0) >= 2)
    assert exporter.running
    counters[0].inc(4)
    gateway.start()
    await wait_until(lambda: pushed(gateway, "demo_0_total", instance="loop") == 5)
    await exporter.stop()


async def test_stop_can_delete_the_group(gateway: PushgatewayServer) -> None:
    registry, _ = registry_with(1)
    exporter = create_prometheus_exporter(
        push_gateway_url=gateway.url,
        config=MetricExportConfig(instance="short-lived", delete_on_stop=True, **FAST),
        source=registry,
    )
    await exporter.start()
    await wait_until(lambda: {"job": JOB, "instance": "short-lived"} in groups(gateway))
    await exporter.stop()
    assert {"job": JOB, "instance": "short-lived"} not in groups(gateway)


async def test_stop_with_the_gateway_down_does_not_hang_or_raise() -> None:
    registry, _ = registry_with(1)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nobody listens: connection refused
    exporter = create_prometheus_exporter(
        push_gateway_url=f"127.0.0.1:{port}",
        config=MetricExportConfig(delete_on_stop=True, **FAST),
        source=registry,
    )
    await exporter.start()
    await exporter.stop()


async def test_only_the_lock_holder_pushes(gateway: PushgatewayServer, tmp_path: Path) -> None:
    lock = tmp_path / "pushgateway.lock"
    registries = [registry_with(1)[0] for _ in range(2)]
    handlers = [Recording(), Recording()]
    exporters = [
        PrometheusExporter(
            gateway.url,
            JOB,
            MetricExportConfig(instance="workers"),
            source=registry,
            leader_lock=lock,
            handler=handler,
        )
        for registry, handler in zip(registries, handlers, strict=True)
    ]
    assert await exporters[0].push() and await exporters[1].push()
    assert len(handlers[0].requests) == 1 and handlers[1].requests == []
    await exporters[0].stop()  # releases the lock: the other worker takes over
    await exporters[1].push()
    assert len(handlers[1].requests) == 1
    await exporters[1].stop()


async def test_the_app_pushes_when_pushgateway_url_is_set(
    gateway: PushgatewayServer, tmp_path: Path
) -> None:
    app = await build_app(
        tmp_path, pushgateway_url=f"127.0.0.1:{gateway.port}", pushgateway_interval=0.2
    )
    instance = f"{socket.gethostname()}:{app.state.services.settings.port}"
    async with app.router.lifespan_context(app), client_for(app) as client:
        await client.get("/health")
        await wait_until(
            lambda: pushed(gateway, c.HTTP_REQUESTS.name, route="/health", instance=instance) == 1
        )
        await client.get("/health")
        scraped = (await client.get("/metrics")).text
    # shutdown pushed the last values
    assert pushed(gateway, c.HTTP_REQUESTS.name, route="/health", instance=instance) == 2
    assert pushed(gateway, c.ACGME_VIOLATIONS.name, job=JOB) is not None
    assert c.PUSHES.name in scraped  # the exporter's own metrics are on /metrics too

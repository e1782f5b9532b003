"""``residency-scheduler serve --workers 4``, end to end, configured only by the environment.

One real gunicorn with four uvicorn workers on a free port, with JSON logs to stdout and
LOG_FILE, tracing to a local OTLP receiver and a real Pushgateway. Checked here:

- exactly N requests sent, exactly N counted, across workers, after a worker is killed, and
  ignoring files a previous run left in the multiprocess directory;
- every worker traces on its own provider, built after the fork: each request's span arrives
  exactly once, from the worker that served it;
- every line, from the gunicorn master and the workers, is one JSON object, and a request's log
  line carries the trace id its span has;
- the Pushgateway exporter (PUSHGATEWAY_URL) pushes the whole service's counts and survives the
  gateway going down and coming back;
- canary passwords, tokens, emails and names sent through the real API never reach a log line
  or an exported span.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from app.core.metrics import catalog as c
from tests.support.canaries import (
    CANARIES,
    CANARY_EMAIL,
    CANARY_JWT,
    CANARY_NAME,
    CANARY_PASSWORD,
    SECRET_HEADERS,
)
from tests.support.database import migrated_with_admin
from tests.support.metrics import parse, total
from tests.support.otlp import OtlpHttpReceiver, otlp_http_receiver
from tests.support.processes import CLI, live_pids, wait_for
from tests.support.servers import PushgatewayServer, free_port, pushgateway_server

WORKERS = 4
BATCH = 20
LABELS = ["method", "route", "status"]
HEALTH = ["GET", "/health", "200"]
ADMIN = "admin.e2e"
TRACEPARENT = "00-5b8aa5a2d2c872e8321cf37308d69df2-051581bf3cb55c13-01"


def health_count_by_pid(directory: Path) -> dict[int, float]:
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for metric in MultiProcessCollector.merge([str(path)]):
            for s in metric.samples:
                if s.name == c.HTTP_REQUESTS.name and s.labels.get("route") == "/health":
                    counts[pid] = counts.get(pid, 0) + s.value
    return counts


def leave_stale_file(directory: Path) -> Path:
    """What a crashed earlier run could leave: 1000 /health requests of a dead worker."""
    directory.mkdir()
    stale = directory / "counter_999999.db"
    values = MmapedDict(str(stale))
    key = mmap_key(c.HTTP_REQUESTS.base_name, c.HTTP_REQUESTS.name, LABELS, HEALTH, "stale run")
    values.write_value(key, 1000.0, 0.0)
    values.close()
    return stale


async def prepare_database(url: str) -> None:
    """Migrate, and add the admin whose password is itself a canary."""
    await migrated_with_admin(url, ADMIN, CANARY_PASSWORD)


@dataclass
class Served:
    url: str
    port: int
    directory: Path  # PROMETHEUS_MULTIPROC_DIR
    output: Path  # the service's stdout and stderr
    log_file: Path  # LOG_FILE
    receiver: OtlpHttpReceiver
    gateway: PushgatewayServer

    def lines(self, path: Path) -> list[str]:
        """Complete lines only: a line being written right now has no newline yet."""
        *complete, _partial = path.read_text(errors="replace").split("\n")
        return [line for line in complete if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines(self.log_file)]

    def everything(self) -> str:
        """Every byte that left the service: its output, its log files, the exported spans."""
        files = sorted(self.log_file.parent.glob(self.log_file.name + "*"))
        spans = b"".join(self.receiver.raw).decode("latin-1")
        return (
            self.output.read_text(errors="replace")
            + "".join(f.read_text(errors="replace") for f in files)
            + spans
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp_path = tmp_path_factory.mktemp("serve")
    database_url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    asyncio.run(prepare_database(database_url))
    directory = tmp_path / "prometheus"
    stale = leave_stale_file(directory)
    port = free_port()
    log_file = tmp_path / "logs" / "app.log"
    output = tmp_path / "serve.out"
    with otlp_http_receiver() as receiver, pushgateway_server() as gateway:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRACING_"))},
            "DATABASE_URL": database_url,
            "PROMETHEUS_MULTIPROC_DIR": str(directory),
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "INFO",
            "LOG_FILE": str(log_file),
            "JWT_SECRET": "e2e-" + "0123456789abcdef" * 3,
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "PUSHGATEWAY_URL": f"127.0.0.1:{gateway.port}",  # no scheme, as in the guide
            "PUSHGATEWAY_INTERVAL": "0.5",
        }
        argv = [str(CLI), "serve", "--workers", str(WORKERS), "--host", "127.0.0.1"]
        with output.open("wb") as out:
            process = subprocess.Popen(
                [*argv, "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for(lambda: len(live_pids(directory)) == WORKERS, "every worker to build its app")
            assert not stale.exists()
            yield Served(
                f"http://127.0.0.1:{port}", port, directory, output, log_file, receiver, gateway
            )
        except BaseException:
            sys.stderr.write(output.read_text(errors="replace")[-4000:])
            raise
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def client(url: str, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=url, trust_env=False, timeout=30, headers=headers)


def send(url: str, requests: int, path: str = "/health") -> None:
    """``requests`` GETs, each on a new connection, several at a time."""

    def one(_: int) -> None:
        with client(url) as http:
            assert http.get(path).status_code == 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(requests)))


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with client(url) as http:
        response = http.get("/metrics")
    assert response.status_code == 200
    return parse(response.text)


def test_exactly_n_requests_are_counted_and_traced_across_workers(served: Served) -> None:
    url, directory, receiver = served.url, served.directory, served.receiver

    def health_spans() -> list[Any]:
        return [s for s in receiver.spans if s.name == "GET /health"]

    send(url, BATCH)
    # A request is counted just after its response is sent: wait for the last ones to land.
    wait_for(lambda: sum(health_count_by_pid(directory).values()) >= BATCH, "the counts", 30)
    served_by = health_count_by_pid(directory)
    assert sum(served_by.values()) == BATCH
    # Each worker exports its own spans (its provider was built after the fork): every request
    # arrives once, from as many distinct worker instances as workers served requests.
    wait_for(lambda: len(health_spans()) >= BATCH, "every request's span", timeout=30)
    spans = health_spans()
    assert len(spans) == len({s.trace_id for s in spans}) == BATCH
    instances = {s.resource["service.instance.id"] for s in spans}
    assert len(instances) == sum(1 for count in served_by.values() if count > 0)

    victim = next(pid for pid, count in served_by.items() if count > 0)
    os.kill(victim, signal.SIGKILL)  # gunicorn replaces it; child_exit marks it dead
    wait_for(lambda: victim not in live_pids(directory), "the dead worker's live gauges to go")
    send(url, BATCH)  # served by the others: the total now spans several processes' files

    def settled() -> bool:
        samples = scrape(url)
        return (
            total(samples, c.HTTP_REQUESTS.name, route="/health") >= 2 * BATCH
            and total(samples, c.HTTP_REQUESTS_IN_PROGRESS.name) == 0
        )

    wait_for(settled, "the second batch's counts", 30)
    samples = scrape(url)
    assert total(samples, c.HTTP_REQUESTS.name, route="/health") == 2 * BATCH
    assert total(samples, c.HTTP_REQUEST_DURATION.count, route="/health") == 2 * BATCH
    assert total(samples, c.HTTP_REQUESTS.name, route="/metrics") == 0
    assert total(samples, c.HTTP_REQUESTS_IN_PROGRESS.name) == 0
    contributors = [pid for pid, count in health_count_by_pid(directory).items() if count > 0]
    assert len(contributors) >= 2 and victim in contributors
    wait_for(lambda: len(live_pids(directory)) == WORKERS, "the replacement worker")
    assert total(scrape(url), c.SERVER_WORKERS.name) == WORKERS


def test_every_line_from_master_and_workers_is_json(served: Served) -> None:
    with client(served.url, traceparent=TRACEPARENT, **{"X-Request-ID": "e2e-json-0001"}) as http:
        assert http.get("/ready").status_code == 200

    def access_line() -> dict[str, Any] | None:
        found = [r for r in served.records() if r.get("client_request_id") == "e2e-json-0001"]
        return found[0] if found else None

    wait_for(lambda: access_line() is not None, "the request's access line", timeout=30)
    for path in (served.output, served.log_file):
        records = [json.loads(line) for line in served.lines(path)]  # every line, or it raises
        assert all(isinstance(r, dict) for r in records)
        assert all(
            {"timestamp", "level", "logger", "event", "service"} <= r.keys() for r in records
        )
        master = [r["event"] for r in records if r["logger"] == "gunicorn.error"]
        assert any(event.startswith("Starting gunicorn") for event in master), path
        assert sum(event.startswith("Booting worker") for event in master) >= WORKERS
        workers = [r for r in records if r["event"] == "Application startup complete."]
        assert len(workers) >= WORKERS
    line = access_line()
    assert line is not None and line["route"] == "/ready" and line["status"] == 200
    assert line["trace_id"] == TRACEPARENT.split("-")[1]  # the caller's trace continues
    span = served.receiver.wait_for(lambda s: s.span_id == line["span_id"], timeout=30)
    assert span.name == "GET /ready" and span.parent_span_id == TRACEPARENT.split("-")[2]


def pushed(gateway: PushgatewayServer, name: str, **labels: str) -> float:
    text = httpx.get(f"{gateway.url}/metrics", trust_env=False, timeout=5).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    )


def test_pushgateway_from_settings_survives_the_gateway_going_down_and_back(
    served: Served,
) -> None:
    gateway = served.gateway
    instance = f"{socket.gethostname()}:{served.port}"
    labels = {"route": "/ready", "instance": instance, "job": "residency-scheduler"}

    def caught_up() -> bool:  # the gateway holds what /metrics says, for the whole service
        expected = total(scrape(served.url), c.HTTP_REQUESTS.name, route="/ready")
        return pushed(gateway, c.HTTP_REQUESTS.name, **labels) == expected > 0

    send(served.url, 5, "/ready")
    wait_for(caught_up, "the push of every worker's count", timeout=60)

    def failures() -> float:
        return total(scrape(served.url), c.PUSHES.name, result="failure")

    before = failures()
    gateway.stop()
    try:
        wait_for(lambda: failures() > before, "a failed push to be counted", timeout=60)
        send(served.url, 5, "/ready")  # requests are unaffected while the gateway is down
    finally:
        gateway.start()  # same port; a restarted gateway has forgotten every group
    wait_for(caught_up, "pushes to resume", timeout=60)
    assert total(scrape(served.url), c.HTTP_REQUESTS.name, route="/ready", status="200") >= 10


def test_canaries_never_leave_the_served_app(served: Served) -> None:
    person = {"code": "canary1", "pgy": 1, "name": CANARY_NAME, "email": CANARY_EMAIL}
    statuses: dict[str, int] = {}
    secrets: list[str] = []

    def call(name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # A fresh connection each: uvicorn closes one after an error response.
        with client(served.url, **{"X-Request-ID": f"e2e-canary-{name}"}) as http:
            response = http.request(method, path, **kwargs)
        statuses[name] = response.status_code
        return response

    login = "/api/v1/auth/login"
    call("bad-login", "POST", login, json={"username": CANARY_EMAIL, "password": CANARY_PASSWORD})
    tokens = call("login", "POST", login, json={"username": ADMIN, "password": CANARY_PASSWORD})
    secrets += [tokens.json()["access_token"], tokens.json()["refresh_token"]]
    auth = {"Authorization": f"Bearer {secrets[0]}"}
    people = "/api/v1/people"
    call("forged", "GET", people, headers=SECRET_HEADERS)  # a forged JWT, cookie, API key
    call("query", "GET", people, params={"email": CANARY_EMAIL, "name": CANARY_NAME}, headers=auth)
    call("create", "POST", people, json=person, headers=auth)
    call("duplicate", "POST", people, json=person, headers=auth)  # SQL parameters hold them
    invalid = {**person, "pgy": "first", "password": CANARY_PASSWORD}
    call("invalid", "POST", people, json=invalid, headers=auth)
    malformed = f'{{"name": "{CANARY_NAME}", "email": "{CANARY_EMAIL}", "token": "{CANARY_JWT}"'
    call(
        "malformed",
        "POST",
        people,
        content=malformed,
        headers={**auth, "content-type": "application/json"},
    )
    assert statuses == {
        "bad-login": 401,
        "login": 200,
        "forged": 401,
        "query": 200,
        "create": 201,
        "duplicate": 409,
        "invalid": 422,
        "malformed": 422,
    }

    def logged() -> set[str]:
        return {
            str(r.get("client_request_id")) for r in served.records() if r["logger"] == "app.access"
        }

    wanted = {f"e2e-canary-{name}" for name in statuses}
    wait_for(lambda: wanted <= logged(), "every request's access line", timeout=30)
    served.receiver.wait_until(
        lambda spans: sum(s.name == "POST /api/v1/people" for s in spans) >= 4, timeout=30
    )
    text = served.everything()
    assert "e2e-canary-duplicate" in text and "/api/v1/people" in text  # the search is not vacuous
    assert [canary for canary in (*CANARIES, *secrets) if canary in text] == []


def test_every_catalog_metric_is_served_by_the_workers(served: Served) -> None:
    """Multiprocess mode merges every worker's files: nothing the catalog declares is lost
    (labelled histograms appear with their first observation, as in one process)."""
    send(served.url, 1)
    present = {name for name, _ in scrape(served.url)}
    missing = [
        spec.name
        for spec in c.CATALOG
        if not ({spec.name, f"{spec.name}_bucket"} & present)
        and not (spec.kind == "histogram" and spec.labels)
    ]
    assert missing == []

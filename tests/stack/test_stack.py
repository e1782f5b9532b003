"""``residency-scheduler stack up|down|status`` with Debian's real Prometheus, Alertmanager and
Pushgateway, on free loopback ports, in a temporary working directory (files under data/)."""

from __future__ import annotations

import http.server
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import yaml
from typer.testing import CliRunner, Result

from app.cli import cli
from app.stack import configs, control
from app.stack.components import COMPONENTS, DEFAULT_DATA_DIR, Address
from tests.support.alerting import run_tool
from tests.support.fixtures import require_component
from tests.support.servers import Component, free_port, pushgateway_server

runner = CliRunner()
TOKEN = "stack-test-token-0123456789"
DATA_DIR = Path("data") / "stack"  # relative: resolved against the working directory


@pytest.fixture(autouse=True)
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # no developer .env; data/ lands here
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    needed: tuple[Component, ...] = ("prometheus", "alertmanager", "pushgateway")
    for name in needed:
        require_component(name)
    yield tmp_path
    control.down(tmp_path / DATA_DIR)  # whatever a failed test left running


class _Metrics(http.server.BaseHTTPRequestHandler):
    """The app's /metrics, as far as Prometheus can tell: answers only with the bearer token."""

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.end_headers()
            return
        body = b"# TYPE demo_up gauge\ndemo_up 1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def app_metrics() -> Iterator[Address]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Address("127.0.0.1", server.server_address[1])
    server.shutdown()
    server.server_close()


def _ports() -> dict[str, int]:
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    prometheus, alertmanager, pushgateway = sorted(ports)
    return {"prometheus": prometheus, "alertmanager": alertmanager, "pushgateway": pushgateway}


def _stack(*args: str) -> Result:
    return runner.invoke(cli, ["stack", *args])


def _up(ports: dict[str, int], target: Address) -> Result:
    return _stack(
        "up",
        "--data-dir",
        str(DATA_DIR),
        "--target",
        str(target),
        *(f"--{name}-port={port}" for name, port in ports.items()),
    )


def _pids(output: str) -> dict[str, int]:
    return {m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+http\S+\s+pid (\d+)", output, re.M)}


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _target_health(prometheus_port: int) -> dict[str, str]:
    response = httpx.get(f"http://127.0.0.1:{prometheus_port}/api/v1/targets", timeout=5)
    active = response.json()["data"]["activeTargets"]
    return {t["labels"]["job"]: t["health"] for t in active}


def test_up_status_up_again_and_down(
    workdir: Path, app_metrics: Address, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)  # read through Settings, sent by Prometheus
    ports = _ports()
    with pushgateway_server() as foreign:  # the same binary, not started by `stack up`
        first = _up(ports, app_metrics)
        assert first.exit_code == 0, first.output
        pids = _pids(first.output)
        assert set(pids) == {"Prometheus", "Alertmanager", "Pushgateway"}
        for name, port in ports.items():
            assert f"http://127.0.0.1:{port}" in first.output, name
        assert first.output.count("started") == 3

        status = _stack("status", "--data-dir", str(DATA_DIR))
        assert status.exit_code == 0, status.output
        assert _pids(status.output) == pids
        assert status.output.count(" up") >= 3

        again = _up(ports, app_metrics)  # idempotent: the same processes, reloaded
        assert again.exit_code == 0, again.output
        assert _pids(again.output) == pids
        assert again.output.count("running") == 3

        # Every job UP: the app (with the bearer token) and the Pushgateway. The first scrape
        # lands within one 15 s interval of start: poll, never sleep a fixed time.
        deadline = time.monotonic() + 45
        health: dict[str, str] = {}
        while time.monotonic() < deadline:
            health = _target_health(ports["prometheus"])
            if health == {"residency-scheduler": "up", "pushgateway": "up"}:
                break
            time.sleep(0.5)
        assert health == {"residency-scheduler": "up", "pushgateway": "up"}
        listed = _stack("status", "--data-dir", str(DATA_DIR))
        assert re.search(r"target pushgateway\s+\S+\s+up", listed.output), listed.output

        down = _stack("down", "--data-dir", str(DATA_DIR))
        assert down.exit_code == 0, down.output
        for pid in pids.values():
            assert f"stopped (pid {pid})" in down.output
            assert not _alive(pid)
        assert foreign.pid is not None and _alive(foreign.pid)  # only what `up` started was stopped
        assert httpx.get(f"{foreign.url}/-/ready", timeout=5).status_code == 200

    stopped = _stack("status", "--data-dir", str(DATA_DIR))
    assert stopped.exit_code == 1
    assert stopped.output.count("down") == 3
    assert _stack("down", "--data-dir", str(DATA_DIR)).output.count("not running") == 3
    # Everything generated is under data/stack; no pid file is left.
    assert [p.name for p in workdir.iterdir()] == ["data"]
    assert not list((workdir / DATA_DIR).glob("*.pid"))


def test_up_refuses_a_port_it_does_not_own_and_starts_nothing(workdir: Path) -> None:
    ports = _ports()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["prometheus"]))
        taken.listen()
        result = _up(ports, Address("127.0.0.1", free_port()))
    assert result.exit_code == 1
    assert f"127.0.0.1:{ports['prometheus']} is in use" in result.output
    assert "--prometheus-port" in result.output
    assert all(control.status(workdir / DATA_DIR)[i].pid is None for i in range(3))


def test_up_rejects_a_bad_target() -> None:
    result = _stack("up", "--data-dir", str(DATA_DIR), "--target", "backend")
    assert result.exit_code == 2
    assert "--target: expected HOST:PORT" in result.output


def test_generated_prometheus_config_passes_promtool(workdir: Path) -> None:
    addresses = {c.name: Address("127.0.0.1", c.default_port) for c in COMPONENTS}
    control.configure(
        workdir / "stack", configs.DEPLOY, Address("127.0.0.1", 8000), addresses, TOKEN
    )
    path = workdir / "stack" / "prometheus" / "prometheus.yml"
    config = yaml.safe_load(path.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["residency-scheduler"]["static_configs"] == [{"targets": ["127.0.0.1:8000"]}]
    assert jobs["residency-scheduler"]["metrics_path"] == "/metrics"
    assert jobs["pushgateway"]["honor_labels"] is True
    assert jobs["pushgateway"]["static_configs"] == [{"targets": ["127.0.0.1:9091"]}]
    token_file = Path(jobs["residency-scheduler"]["authorization"]["credentials_file"])
    assert token_file.read_text() == TOKEN and token_file.stat().st_mode & 0o077 == 0
    assert config["alerting"]["alertmanagers"][0]["static_configs"] == [
        {"targets": ["127.0.0.1:9093"]}
    ]
    result = run_tool("promtool", "check", "config", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS: [1-9]\d* rules found", result.stdout), result.stdout
    alertmanager = workdir / "stack" / "alertmanager" / "alertmanager.yml"
    checked = run_tool("amtool", "check-config", alertmanager)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_default_data_dir_is_under_data() -> None:
    assert Path("data") / "stack" == DEFAULT_DATA_DIR

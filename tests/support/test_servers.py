"""The real-server helpers start real servers, serve, survive port races and clean up."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from redis import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import servers
from tests.support.fixtures import require_component
from tests.support.servers import (
    ComponentUnavailable,
    PostgresServer,
    PrometheusQueryError,
    RedisServer,
    ServerStartError,
    alertmanager_server,
    check_available,
    postgres_server,
    prometheus_server,
    pushgateway_server,
    redis_server,
)

pytest_plugins = ["tests.support.fixtures", "pytester"]

ALERTMANAGER_CONFIG = """
route:
  receiver: "null"
receivers:
  - name: "null"
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# ------------------------------------------------------------------------- PostgreSQL


async def test_postgres_accepts_connections_and_queries(postgres: PostgresServer) -> None:
    assert postgres.dsn() == (
        f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/scheduler_test"
    )
    conn = await asyncpg.connect(postgres.dsn(driver=None))
    try:
        assert await conn.fetchval("SELECT 40 + 2") == 42
        assert await conn.fetchval("SELECT current_database()") == "scheduler_test"
        assert str(await conn.fetchval("SHOW server_version")).startswith("15.")
    finally:
        await conn.close()


async def test_postgres_per_test_database_via_sqlalchemy(postgres: PostgresServer) -> None:
    dsn = postgres.create_database("selftest_db")
    assert dsn == f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/selftest_db"
    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as conn:
            name = (await conn.execute(text("SELECT current_database()"))).scalar_one()
        assert name == "selftest_db"
    finally:
        await engine.dispose()
        postgres.drop_database("selftest_db")
    with pytest.raises(ValueError, match="invalid database name"):
        postgres.create_database("x; DROP DATABASE postgres")


def test_postgres_retries_on_a_taken_port(monkeypatch: pytest.MonkeyPatch) -> None:
    require_component("postgres")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        ports = iter([taken])
        monkeypatch.setattr(servers, "free_port", lambda: next(ports, None) or _free())
        with postgres_server(database="retry_db") as pg:
            assert pg.port != taken
            pid = pg._postmaster_pid()
            workdir = pg.workdir
            assert pid is not None
    assert _gone(pid)
    assert not workdir.exists()


def _free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ------------------------------------------------------------------------------ Redis


def test_redis_answers_ping(redis: RedisServer) -> None:
    assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
    client = Redis.from_url(redis.url)
    try:
        assert client.ping() is True
        client.set("selftest", "ok")
        assert client.get("selftest") == b"ok"
    finally:
        client.close()


def test_server_is_killed_and_cleaned_up_when_the_body_raises() -> None:
    require_component("redis")
    pid: int | None = None
    workdir: Path | None = None
    with pytest.raises(RuntimeError, match="boom"), redis_server() as server:
        pid, workdir = server.pid, server.workdir
        raise RuntimeError("boom")
    assert pid is not None and workdir is not None
    assert _gone(pid)
    assert not workdir.exists()


# ------------------------------------------------------------------------- Prometheus


def test_prometheus_scrapes_pushgateway_and_itself_and_evaluates_rules() -> None:
    require_component("prometheus")
    require_component("pushgateway")
    rules = """
groups:
  - name: selftest
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
"""
    with pushgateway_server() as gateway:
        gateway.http.put(
            f"{gateway.url}/metrics/job/selftest",
            content=b"# TYPE selftest_pushed gauge\nselftest_pushed 7\n",
        ).raise_for_status()
        config = f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{{targets: ["127.0.0.1:{servers.PROMETHEUS_PORT_PLACEHOLDER}"]}}]
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{{targets: ["127.0.0.1:{gateway.port}"]}}]
"""
        with prometheus_server(config, {"rules/selftest.yml": rules}) as prom:
            assert f"127.0.0.1:{prom.port}" in prom.config_path.read_text()
            assert prom.wait_for('up{job="pushgateway"} == 1', timeout=20)
            pushed = prom.wait_for('selftest_pushed{job="selftest"}', timeout=10)
            assert pushed[0]["value"][1] == "7"
            assert prom.wait_for('up{job="prometheus"} == 1', timeout=10)
            assert prom.wait_for('job:up:sum{job="pushgateway"}', timeout=10)
            with pytest.raises(PrometheusQueryError, match="bad_data"):
                prom.query("sum(")


def test_startup_failure_reports_the_log_tail() -> None:
    require_component("prometheus")
    with pytest.raises(ServerStartError) as info, prometheus_server("scrape_configs: [oops"):
        pass
    message = str(info.value)
    assert "exited with code" in message
    assert "last lines of" in message
    assert "error loading config" in message.lower() or "yaml" in message.lower()


# ----------------------------------------------------------------------- Alertmanager


def test_alertmanager_is_ready_without_cluster_and_accepts_alerts() -> None:
    require_component("alertmanager")
    with alertmanager_server(ALERTMANAGER_CONFIG) as am:
        assert am.http.get(f"{am.url}/-/ready").status_code == 200
        status = am.http.get(f"{am.url}/api/v2/status").json()
        assert status["cluster"]["status"] == "disabled"
        am.http.post(
            f"{am.url}/api/v2/alerts",
            json=[{"labels": {"alertname": "SelfTest", "severity": "info"}}],
        ).raise_for_status()
        assert [a["labels"]["alertname"] for a in am.alerts()] == ["SelfTest"]


# ------------------------------------------------------------------------ Pushgateway


def _push(client: httpx.Client, url: str, value: int) -> None:
    body = f"# TYPE selftest_value gauge\nselftest_value {value}\n".encode()
    client.put(f"{url}/metrics/job/selftest", content=body).raise_for_status()


@pytest.mark.parametrize("persistence", [False, True], ids=["ephemeral", "persistent"])
def test_pushgateway_restarts_on_the_same_port(persistence: bool) -> None:
    require_component("pushgateway")
    with pushgateway_server(persistence=persistence) as gateway:
        _push(gateway.http, gateway.url, 42)
        assert "selftest_value" in gateway.http.get(f"{gateway.url}/metrics").text
        port, old_pid = gateway.port, gateway.pid
        assert old_pid is not None

        gateway.stop()
        assert not gateway.running
        assert _gone(old_pid)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{gateway.url}/-/ready", timeout=2)

        gateway.start()
        assert gateway.port == port
        assert gateway.pid not in (None, old_pid)
        metrics = gateway.http.get(f"{gateway.url}/metrics").text
        assert ('selftest_value{instance="",job="selftest"} 42' in metrics) is persistence
        _push(gateway.http, gateway.url, 43)


def test_start_retries_when_another_server_owns_the_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second gateway is first handed the first one's port: the first one answers
    /-/ready there, but that must not count; the second retries on a fresh port."""
    require_component("pushgateway")
    with pushgateway_server() as first:
        handed: Iterator[int] = iter([first.port])
        monkeypatch.setattr(servers, "free_port", lambda: next(handed, None) or _free())
        with pushgateway_server() as second:
            assert second.port != first.port
            assert second.running and first.running
            assert "address already in use" in second.log_tail().lower()


# ----------------------------------------------------------------------------- policy


def test_missing_binary_raises_component_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("POSTGRES_BIN_DIR", str(tmp_path / "nope"))
    with pytest.raises(ComponentUnavailable, match="redis is unavailable"), redis_server():
        pass
    for component in ("prometheus", "alertmanager", "pushgateway", "postgres"):
        with pytest.raises(ComponentUnavailable, match="install-test-deps"):
            check_available(component)


def test_require_component_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="prometheus is unavailable"):
        require_component("prometheus")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_component("prometheus")


def test_unavailable_inside_tests_and_fixtures_follows_the_policy(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest('pytest_plugins = ["tests.support.fixtures"]')
    pytester.makepyfile(
        """
        import pytest
        from tests.support.servers import ComponentUnavailable

        @pytest.fixture
        def broken():
            raise ComponentUnavailable("redis", "not here")

        def test_in_fixture(broken):
            pass

        def test_in_body():
            raise ComponentUnavailable("prometheus", "not here")
        """
    )
    monkeypatch.delenv("CI", raising=False)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(skipped=2)
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines(["*CI=true: a missing component fails*"])

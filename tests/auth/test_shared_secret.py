"""Without JWT_SECRET, every worker of one ``serve`` run still signs with the same key."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from app.auth.models import Role
from app.auth.secret import ensure_shared_jwt_secret
from app.core.config import Settings, load_settings
from app.core.metrics import catalog
from app.db.migrate import upgrade_database
from app.main import create_app
from tests.support.api import API, api_client, create_user
from tests.support.processes import CLI, live_pids, wait_for
from tests.support.servers import free_port

WORKERS = 2
PASSWORD = "a long enough password 42"


def test_generates_one_key_for_the_processes_started_after_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    assert ensure_shared_jwt_secret(Settings(environment="development", _env_file=None)) is True
    key = os.environ["JWT_SECRET"]
    assert "generated a signing key" in caplog.text and key not in caplog.text
    # What a worker then reads: a valid secret, the same in every worker.
    assert load_settings().jwt_secret is not None
    assert load_settings().jwt_secret.get_secret_value() == key  # type: ignore[union-attr]


def test_a_configured_key_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = "configured-secret-0123456789abcdefghij"
    monkeypatch.setenv("JWT_SECRET", configured)
    assert ensure_shared_jwt_secret(load_settings()) is False
    assert os.environ["JWT_SECRET"] == configured


async def test_apps_built_after_it_accept_each_others_tokens(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    ensure_shared_jwt_secret(load_settings())
    first, second = create_app(load_settings()), create_app(load_settings())  # two "workers"
    try:
        user = await create_user(first, Role.FACULTY)
        token = first.state.services.tokens.issue(user, Role.FACULTY)
        async with api_client(second, {"Authorization": f"Bearer {token}"}) as other:
            assert (await other.get(f"{API}/auth/me")).status_code == 200
    finally:
        for app in (first, second):
            await app.state.services.database.dispose()


def me_requests_by_pid(directory: Path) -> dict[int, float]:
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for metric in MultiProcessCollector.merge([str(path)]):
            for s in metric.samples:
                if (
                    s.name == catalog.HTTP_REQUESTS.name
                    and s.labels.get("route") == "/api/v1/auth/me"
                ):
                    counts[pid] = counts.get(pid, 0) + s.value
    return counts


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``residency-scheduler serve --workers 2`` with no JWT_SECRET, and one admin account."""
    database_url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    asyncio.run(upgrade_database(database_url))
    directory = tmp_path / "prometheus"
    env = {
        **{k: v for k, v in os.environ.items() if k != "JWT_SECRET"},
        "DATABASE_URL": database_url,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "ENVIRONMENT": "development",
        "LOG_FILE": "",
    }
    subprocess.run(
        [str(CLI), "create-user", "ann", "--role", "admin", "--password-stdin"],
        input=PASSWORD.encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    argv = [str(CLI), "serve", "--workers", str(WORKERS), "--host", "127.0.0.1", "--port"]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*argv, str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: len(live_pids(directory)) == WORKERS, "both workers to build the app")
        yield f"http://127.0.0.1:{port}", directory
        assert "generated a signing key" in log.read_text(errors="replace")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_token_works_on_every_worker(served: tuple[str, Path]) -> None:
    url, directory = served
    with httpx.Client(trust_env=False, timeout=30) as client:
        signed_in = client.post(
            f"{url}{API}/auth/login", json={"username": "ann", "password": PASSWORD}
        )
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    def me(_: int) -> int:
        with httpx.Client(trust_env=False, timeout=30, headers=headers) as client:
            return client.get(f"{url}{API}/auth/me").status_code  # a new connection each

    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(10):  # until both workers have answered (normally the first batch)
            statuses += pool.map(me, range(16))
            if len(me_requests_by_pid(directory)) == WORKERS:
                break
    assert set(statuses) == {200}
    assert len(me_requests_by_pid(directory)) == WORKERS  # both workers accepted the token

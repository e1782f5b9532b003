"""``residency-scheduler serve --workers 4``: exactly N requests sent, exactly N counted.

A real gunicorn with four uvicorn workers on a free port. The count must be exact across
workers, survive a worker being killed (its counters stay, its live gauges go), and ignore
files a previous run left in the multiprocess directory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from app.core.metrics import catalog as c
from app.db.migrate import upgrade_database
from tests.core.metrics.support import parse, total
from tests.support.servers import free_port

WORKERS = 4
BATCH = 20
CLI = Path(sys.executable).with_name("residency-scheduler")
LABELS = ["method", "route", "status"]
HEALTH = ["GET", "/health", "200"]


def wait_for(check: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def live_pids(directory: Path) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob("gauge_livesum_*.db")}


def health_count_by_pid(directory: Path) -> dict[int, float]:
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for metric in MultiProcessCollector.merge([str(path)]):
            for s in metric.samples:
                if s.name == "http_requests_total" and s.labels.get("route") == "/health":
                    counts[pid] = counts.get(pid, 0) + s.value
    return counts


def leave_stale_file(directory: Path) -> Path:
    """What a crashed earlier run could leave: 1000 /health requests of a dead worker."""
    directory.mkdir()
    stale = directory / "counter_999999.db"
    values = MmapedDict(str(stale))
    key = mmap_key("http_requests", "http_requests_total", LABELS, HEALTH, "stale run")
    values.write_value(key, 1000.0, 0.0)
    values.close()
    return stale


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    asyncio.run(upgrade_database(database_url))  # migrate first
    directory = tmp_path / "prometheus"
    stale = leave_stale_file(directory)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "ENVIRONMENT": "test",
        "LOG_FILE": "",
    }
    argv = [str(CLI), "serve", "--workers", str(WORKERS), "--host", "127.0.0.1"]
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [*argv, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: len(live_pids(directory)) == WORKERS, "every worker to build its app")
        assert not stale.exists()
        yield url, directory, process
    except BaseException:
        sys.stderr.write((tmp_path / "serve.log").read_text(errors="replace")[-4000:])
        raise
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def send(url: str, requests: int) -> None:
    """``requests`` GET /health, each on a new connection, several at a time."""

    def one(_: int) -> None:
        with httpx.Client(trust_env=False, timeout=30) as client:
            assert client.get(f"{url}/health").status_code == 200

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(requests)))


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"{url}/metrics", trust_env=False, timeout=30)
    assert response.status_code == 200
    return parse(response.text)


def test_exactly_n_requests_are_counted_across_workers(
    server: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, directory, _ = server
    send(url, BATCH)
    served = health_count_by_pid(directory)
    assert sum(served.values()) == BATCH

    victim = next(pid for pid, count in served.items() if count > 0)
    os.kill(victim, signal.SIGKILL)  # gunicorn replaces it; child_exit marks it dead
    wait_for(lambda: victim not in live_pids(directory), "the dead worker's live gauges to go")
    send(url, BATCH)  # served by the others: the total now spans several processes' files

    samples = scrape(url)
    assert total(samples, c.HTTP_REQUESTS.name, route="/health") == 2 * BATCH
    assert total(samples, c.HTTP_REQUEST_DURATION.count, route="/health") == 2 * BATCH
    assert total(samples, c.HTTP_REQUESTS.name, route="/metrics") == 0
    assert total(samples, c.HTTP_REQUESTS_IN_PROGRESS.name) == 0
    contributors = [pid for pid, count in health_count_by_pid(directory).items() if count > 0]
    assert len(contributors) >= 2 and victim in contributors
    wait_for(lambda: len(live_pids(directory)) == WORKERS, "the replacement worker")
    assert total(scrape(url), c.SERVER_WORKERS.name) == WORKERS

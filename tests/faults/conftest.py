"""Faults injected into real servers: stopped (the process is gone) or frozen (SIGSTOP: it
still holds its sockets, so connections open but nothing is ever answered).

Each test gets its own server, so stopping or freezing it never disturbs another test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

import psutil
import pytest

from tests.support.fixtures import require_component
from tests.support.servers import PostgresServer, RedisServer, postgres_server, redis_server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    require_component("redis")
    with redis_server() as server:
        yield server


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    require_component("postgres")
    with postgres_server("faults") as server:
        yield server


def postmaster_and_children(server: PostgresServer) -> list[int]:
    first = (server.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
    postmaster = psutil.Process(int(first.strip()))
    return [postmaster.pid, *(child.pid for child in postmaster.children(recursive=True))]


@contextlib.contextmanager
def frozen(pids: list[int]) -> Iterator[None]:
    """SIGSTOP every process in ``pids``; SIGCONT them all whatever happens."""
    stopped: list[int] = []
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = time.monotonic()
        self.seconds = 0.0
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.monotonic() - self.started

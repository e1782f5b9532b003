"""Processes the stack started: one state file each (pid, start time, address, command line).

A process counts as the stack's only while its pid is alive *and* started at the recorded time,
so a pid reused by an unrelated process after a reboot is never signalled. ``stop`` signals
only such processes: nothing is ever found or killed by name.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psutil

from app.stack.components import Address, Component, StackError

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.1
LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class Running:
    """What the state file of a started component records."""

    pid: int
    started: float  # psutil's create_time of the process
    host: str
    port: int
    argv: list[str]

    @property
    def address(self) -> Address:
        return Address(self.host, self.port)


def state_path(data_dir: Path, component: Component) -> Path:
    return data_dir / f"{component.name}.pid"


def log_path(data_dir: Path, component: Component) -> Path:
    return data_dir / component.name / f"{component.name}.log"


def read_state(data_dir: Path, component: Component) -> Running | None:
    try:
        raw = json.loads(state_path(data_dir, component).read_text(encoding="utf-8"))
        return Running(**raw)
    except (OSError, ValueError, TypeError):
        return None


def is_ours(state: Running) -> bool:
    """The recorded process is alive and is the one that was started (not a reused pid)."""
    try:
        process = psutil.Process(state.pid)
        return process.status() != psutil.STATUS_ZOMBIE and (
            abs(process.create_time() - state.started) < 0.5
        )
    except psutil.Error:
        return False


def running(data_dir: Path, component: Component) -> Running | None:
    """The live process the stack started for ``component``; a stale state file is removed."""
    state = read_state(data_dir, component)
    if state is None:
        return None
    if is_ours(state):
        return state
    state_path(data_dir, component).unlink(missing_ok=True)
    return None


def is_ready(address: Address, timeout: float = 2.0) -> bool:
    """The server answers ``GET /-/ready`` with 200 (Prometheus, Alertmanager, Pushgateway)."""
    try:
        return httpx.get(f"{address.url}/-/ready", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def port_is_free(address: Address) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address.host, address.port))
        except OSError:
            return False
    return True


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "<no log>"
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "<log is empty>"


def start(data_dir: Path, component: Component, address: Address, argv: Sequence[str]) -> Running:
    """Start ``argv`` in its own session (it outlives this command), wait until it is ready,
    record it. A server that exits or never gets ready is stopped and reported with its log."""
    if not port_is_free(address):
        raise StackError(
            f"{component.title}: {address} is in use by a process this command did not start; "
            f"choose another port (--{component.name}-port)"
        )
    log = log_path(data_dir, component)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state = Running(
        pid=process.pid,
        started=psutil.Process(process.pid).create_time(),
        host=address.host,
        port=address.port,
        argv=list(argv),
    )
    state_path(data_dir, component).write_text(json.dumps(asdict(state)), encoding="utf-8")
    deadline = time.monotonic() + READY_TIMEOUT
    while not is_ready(address, timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            why = "exited" if process.poll() is not None else "did not get ready"
            stop(data_dir, component)
            raise StackError(f"{component.title} {why}; last lines of {log}:\n{_tail(log)}")
        time.sleep(POLL_INTERVAL)
    return state


def stop(data_dir: Path, component: Component) -> int | None:
    """Stop the process the stack started for ``component`` (SIGTERM, then SIGKILL after
    ``STOP_TIMEOUT``); its pid, or None when it was not running."""
    state = running(data_dir, component)
    path = state_path(data_dir, component)
    if state is None:
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(state.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    path.unlink(missing_ok=True)
    return state.pid


def reload(address: Address) -> None:
    """Make a running Prometheus or Alertmanager read its configuration again."""
    try:
        response = httpx.post(f"{address.url}/-/reload", timeout=10.0)
    except httpx.HTTPError as exc:
        raise StackError(f"{address.url}/-/reload: {exc}") from None
    if response.status_code != 200:
        raise StackError(
            f"{address.url}/-/reload answered {response.status_code}: {response.text.strip()}"
        )

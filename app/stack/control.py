"""``up``, ``down`` and ``status`` of the local stack, on a data directory (``data/stack``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from app.stack import configs, processes
from app.stack.components import (
    ALERTMANAGER,
    COMPONENTS,
    PROMETHEUS,
    PUSHGATEWAY,
    Address,
    Component,
    ComponentName,
    StackError,
    arguments,
)

Action = Literal["started", "restarted", "running"]


@dataclass(frozen=True)
class Started:
    component: Component
    pid: int
    address: Address
    action: Action


@dataclass(frozen=True)
class Status:
    component: Component
    pid: int | None
    address: Address | None
    up: bool


@dataclass(frozen=True)
class Target:
    job: str
    url: str
    health: str  # "up", "down" or "unknown", as Prometheus reports it
    error: str


def configure(
    data_dir: Path,
    deploy: Path,
    target: Address,
    addresses: Mapping[ComponentName, Address],
    metrics_token: str | None,
) -> None:
    """Write each component's configuration under ``data_dir/<component>/``."""
    for component in COMPONENTS:
        (data_dir / component.name).mkdir(parents=True, exist_ok=True)
    services = {
        configs.APP_SERVICE: target,
        PUSHGATEWAY.name: addresses[PUSHGATEWAY.name],
        ALERTMANAGER.name: addresses[ALERTMANAGER.name],
    }
    prometheus_dir = data_dir / PROMETHEUS.name
    config = configs.prometheus_config(deploy, prometheus_dir, services, metrics_token)
    configs.write_yaml(prometheus_dir / "prometheus.yml", config)
    alertmanager_dir = data_dir / ALERTMANAGER.name
    configs.write_yaml(alertmanager_dir / "alertmanager.yml", configs.alertmanager_config(deploy))


def up(
    data_dir: Path,
    target: Address,
    addresses: Mapping[ComponentName, Address],
    metrics_token: str | None,
    deploy: Path = configs.DEPLOY,
) -> list[Started]:
    """Start what is not running; a running component keeps its process and reloads its
    (regenerated) configuration, or restarts when asked to listen elsewhere. Idempotent."""
    data_dir = data_dir.resolve()  # the generated files name each other by absolute path
    argv = {c.name: arguments(c, addresses[c.name], data_dir / c.name) for c in COMPONENTS}
    configure(data_dir, deploy, target, addresses, metrics_token)
    current = {c.name: processes.running(data_dir, c) for c in COMPONENTS}
    for component in COMPONENTS:  # refuse before starting anything
        address, state = addresses[component.name], current[component.name]
        if (state is None or state.address != address) and not processes.port_is_free(address):
            raise StackError(
                f"{component.title}: {address} is in use by a process this command did not "
                f"start; choose another port (--{component.name}-port)"
            )
    started: list[Started] = []
    try:
        for component in COMPONENTS:
            started.append(_up(data_dir, component, addresses[component.name], argv))
    except StackError:
        for item in started:  # leave nothing half-started behind
            if item.action != "running":
                processes.stop(data_dir, item.component)
        raise
    return started


def _up(
    data_dir: Path, component: Component, address: Address, argv: Mapping[ComponentName, list[str]]
) -> Started:
    state = processes.running(data_dir, component)
    action: Action = "started"
    if state is not None and state.address != address:
        processes.stop(data_dir, component)
        state, action = None, "restarted"
    if state is None:
        state = processes.start(data_dir, component, address, argv[component.name])
        return Started(component, state.pid, address, action)
    if not processes.is_ready(address, timeout=5.0):
        raise StackError(
            f"{component.title} (pid {state.pid}) runs but does not answer on "
            f"{address.url}; see {processes.log_path(data_dir, component)}"
        )
    if component is not PUSHGATEWAY:
        processes.reload(address)  # the configuration was just written again
    return Started(component, state.pid, address, "running")


def down(data_dir: Path) -> list[tuple[Component, int | None]]:
    """Stop, in reverse start order, only the processes ``up`` started (by their state files)."""
    data_dir = data_dir.resolve()
    return [(c, processes.stop(data_dir, c)) for c in reversed(COMPONENTS)]


def status(data_dir: Path) -> list[Status]:
    data_dir = data_dir.resolve()
    found = []
    for component in COMPONENTS:
        state = processes.running(data_dir, component)
        if state is None:
            found.append(Status(component, None, None, False))
        else:
            found.append(
                Status(component, state.pid, state.address, processes.is_ready(state.address))
            )
    return found


def targets(prometheus: Address) -> list[Target]:
    """Prometheus' active scrape targets and their health (``/api/v1/targets``)."""
    try:
        response = httpx.get(
            f"{prometheus.url}/api/v1/targets", params={"state": "active"}, timeout=5.0
        )
        response.raise_for_status()
        active = response.json()["data"]["activeTargets"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise StackError(f"{prometheus.url}/api/v1/targets: {exc}") from None
    return sorted(
        (
            Target(t["labels"].get("job", ""), t["scrapeUrl"], t["health"], t.get("lastError", ""))
            for t in active
        ),
        key=lambda t: (t.job, t.url),
    )

"""The three servers of the local stack: the Debian binaries, their flags and addresses."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_DATA_DIR = Path("data") / "stack"  # relative to the working directory: the checkout
ComponentName = Literal["pushgateway", "alertmanager", "prometheus"]


class StackError(RuntimeError):
    """The stack cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True)
class Component:
    name: ComponentName
    title: str
    package: str  # the Debian package that installs it
    binaries: tuple[str, ...]  # names tried on PATH, the Debian one first
    default_port: int

    def binary(self) -> str:
        for candidate in self.binaries:
            if found := shutil.which(candidate):
                return found
        raise StackError(
            f"{self.title} is not installed (none of {', '.join(self.binaries)} on PATH); "
            f"install it: apt-get install {self.package}"
        )


PUSHGATEWAY = Component(
    "pushgateway", "Pushgateway", "prometheus-pushgateway", ("prometheus-pushgateway",), 9091
)
ALERTMANAGER = Component(
    "alertmanager",
    "Alertmanager",
    "prometheus-alertmanager",
    ("prometheus-alertmanager", "alertmanager"),
    9093,
)
PROMETHEUS = Component("prometheus", "Prometheus", "prometheus", ("prometheus",), 9090)

#: Start order: Prometheus last, so that what it scrapes and alerts is already there.
COMPONENTS: tuple[Component, ...] = (PUSHGATEWAY, ALERTMANAGER, PROMETHEUS)


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self}"


def parse_address(value: str, what: str) -> Address:
    """``HOST:PORT`` -> :class:`Address`; a bad value names ``what`` and the expected form."""
    host, _, port = value.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise StackError(f"{what}: expected HOST:PORT (e.g. 127.0.0.1:8000), got {value!r}")
    return Address(host, int(port))


def arguments(component: Component, address: Address, workdir: Path) -> list[str]:
    """The command line of ``component`` listening on ``address``, its files in ``workdir``."""
    listen = f"--web.listen-address={address}"
    binary = component.binary()
    if component is PROMETHEUS:
        return [
            binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            listen,
            "--web.enable-lifecycle",  # `stack up` reloads a changed configuration
        ]
    if component is ALERTMANAGER:
        return [
            binary,
            f"--config.file={workdir / 'alertmanager.yml'}",
            f"--storage.path={workdir / 'storage'}",
            listen,
            "--cluster.listen-address=",  # one instance: never wait for peers
        ]
    return [binary, listen, f"--persistence.file={workdir / 'metrics.store'}"]

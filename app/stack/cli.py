"""``residency-scheduler stack up|down|status``: Prometheus, Alertmanager and the Pushgateway
(Debian's packages) on loopback, configured for the app on this machine, files in ``data/``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import fail, settings_or_exit
from app.stack.components import (
    ALERTMANAGER,
    DEFAULT_DATA_DIR,
    PROMETHEUS,
    PUSHGATEWAY,
    Address,
    ComponentName,
    StackError,
    parse_address,
)

stack = typer.Typer(
    help="Local Prometheus, Alertmanager and Pushgateway (Debian packages) for the app.",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir", help="Where the generated configuration, pid files, logs and data go"
    ),
]
EXIT_DOWN = 1


@stack.command()
def up(
    target: Annotated[
        str, typer.Option(help="The app Prometheus scrapes (HOST:PORT; /metrics)")
    ] = "127.0.0.1:8000",
    listen: Annotated[
        str, typer.Option(help="Address the three servers listen on (loopback)")
    ] = "127.0.0.1",
    prometheus_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Prometheus port")
    ] = PROMETHEUS.default_port,
    alertmanager_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Alertmanager port")
    ] = ALERTMANAGER.default_port,
    pushgateway_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Pushgateway port")
    ] = PUSHGATEWAY.default_port,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Start (or keep) the three servers; scrape the app (with METRICS_TOKEN when set)."""
    from app.stack import control

    settings = settings_or_exit()
    ports: dict[ComponentName, int] = {
        PROMETHEUS.name: prometheus_port,
        ALERTMANAGER.name: alertmanager_port,
        PUSHGATEWAY.name: pushgateway_port,
    }
    try:
        app = parse_address(target, "--target")
    except StackError as exc:
        raise fail(str(exc)) from None
    if len(set(ports.values())) < len(ports):
        raise fail("--prometheus-port, --alertmanager-port and --pushgateway-port must differ")
    addresses = {name: Address(listen, port) for name, port in ports.items()}
    try:
        started = control.up(data_dir, app, addresses, settings.metrics_token)
    except StackError as exc:
        raise fail(str(exc), code=1) from None
    for item in started:
        typer.echo(
            f"{item.component.title:<13} {item.address.url:<24} pid {item.pid:<8} {item.action}"
        )
    prometheus = addresses[PROMETHEUS.name]
    typer.echo(f"targets: {prometheus.url}/targets (scraping {app.url}/metrics)")
    typer.echo(
        f"push from the app: PUSHGATEWAY_URL={addresses[PUSHGATEWAY.name]} "
        "residency-scheduler serve"
    )


@stack.command()
def down(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Stop what `stack up` started (and nothing else)."""
    from app.stack import control

    for component, pid in control.down(data_dir):
        typer.echo(
            f"{component.title:<13} "
            + (f"stopped (pid {pid})" if pid is not None else "not running")
        )


@stack.command()
def status(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Each server's pid, URL and up/down, then Prometheus' targets; exit 1 if one is down."""
    from app.stack import control

    found = control.status(data_dir)
    for item in found:
        url = item.address.url if item.address else "-"
        pid = str(item.pid) if item.pid is not None else "-"
        typer.echo(
            f"{item.component.title:<13} {url:<24} pid {pid:<8} {'up' if item.up else 'down'}"
        )
    prometheus = next(item for item in found if item.component is PROMETHEUS)
    if prometheus.up and prometheus.address is not None:
        try:
            for scraped in control.targets(prometheus.address):
                error = f" ({scraped.error})" if scraped.error else ""
                typer.echo(f"  target {scraped.job:<20} {scraped.url:<40} {scraped.health}{error}")
        except StackError as exc:
            typer.echo(f"  targets unavailable: {exc}")
    if not all(item.up for item in found):
        raise typer.Exit(EXIT_DOWN)

"""``residency-scheduler dashboards push|export``: the Grafana dashboards, to a Grafana or to
files Grafana provisions from. The credentials come from the environment (GRAFANA_TOKEN, or
GRAFANA_USER and GRAFANA_PASSWORD), never from a flag that would land in shell history."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import fail, settings_or_exit
from app.core.metrics.grafana import DEFAULT_FOLDER_TITLE
from app.core.metrics.preview_cli import preview

dashboards = typer.Typer(
    help="Grafana dashboards: push them to a Grafana, or export them for provisioning.",
    no_args_is_help=True,
)


@dashboards.command("push")
def push(
    grafana_url: Annotated[
        str, typer.Option("--grafana-url", help="Grafana's base URL, e.g. http://localhost:3000")
    ],
    folder: Annotated[
        str, typer.Option(help="Title of the folder the dashboards go to")
    ] = DEFAULT_FOLDER_TITLE,
) -> None:
    """Create or update every dashboard in a Grafana folder.

    Credentials from the environment: GRAFANA_TOKEN (a service-account token with the Editor
    role), or GRAFANA_USER and GRAFANA_PASSWORD. Exit 0 pushed, 1 Grafana refused or is
    unreachable, 2 bad input (missing credentials, a bad token, a URL that is not Grafana).
    """
    from app.core.metrics.dashboards import create_dashboards_in_grafana
    from app.core.metrics.grafana import GrafanaError

    settings = settings_or_exit()
    token = settings.grafana_token.get_secret_value() if settings.grafana_token else None
    basic: tuple[str, str] | None = None
    if token is None and settings.grafana_user:
        if settings.grafana_password is None:
            raise fail("GRAFANA_USER is set but GRAFANA_PASSWORD is not")
        basic = (settings.grafana_user, settings.grafana_password.get_secret_value())
    if token is None and basic is None:
        raise fail(
            "no Grafana credentials: set GRAFANA_TOKEN to a service-account token "
            "(or GRAFANA_USER and GRAFANA_PASSWORD); see docs/observability.md"
        )
    if not folder.strip():
        raise fail("--folder: must not be empty")
    try:
        results = asyncio.run(
            create_dashboards_in_grafana(
                grafana_url=grafana_url, api_key=token, basic_auth=basic, folder_title=folder
            )
        )
    except GrafanaError as exc:
        raise fail(str(exc), code=exc.exit_code) from None
    for result in results:
        typer.echo(
            f"{result.status:<9} {result.title} (uid {result.uid}, version {result.version}) "
            f"{result.url}"
        )


@dashboards.command("export")
def export(
    directory: Annotated[
        Path, typer.Argument(help="Where to write the JSON models and provisioning YAML")
    ],
) -> None:
    """Write every dashboard's JSON model and Grafana's provisioning YAML under DIR."""
    from app.core.metrics.dashboards import export_dashboards

    if directory.exists() and not directory.is_dir():
        raise fail(f"{directory}: is not a directory")
    try:
        written = export_dashboards(directory)
    except OSError as exc:
        raise fail(f"{directory}: cannot write ({exc.strerror or exc})") from None
    for path in written:
        typer.echo(f"wrote {path}")


# ``dashboards preview`` (rendering from live Prometheus data) is defined in preview_cli.
dashboards.command("preview")(preview)

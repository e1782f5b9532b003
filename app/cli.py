"""The ``residency-scheduler`` command."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from app.auth.cli import create_user
from app.cli_support import fail, settings_or_exit, with_database
from app.compliance.cli import validate
from app.core.config import Settings, SettingsError
from app.core.metrics.alerts_cli import alerts
from app.core.metrics.dashboards_cli import dashboards
from app.db.engine import Database
from app.db.migrate import upgrade_database
from app.doctor.cli import doctor
from app.generation.cli import generate
from app.schedules.fairness_cli import fairness
from app.schedules.file_format import ScheduleFileError, load_schedule_file
from app.stack.cli import stack

cli = typer.Typer(
    name="residency-scheduler",
    help="Schedule residents, check ACGME duty hours, serve the API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from app import __version__

        typer.echo(f"residency-scheduler {__version__}")
        raise typer.Exit()


@cli.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Schedule residents, check ACGME duty hours, serve the API."""


@cli.command()
def migrate() -> None:
    """Bring the database (DATABASE_URL) to the newest schema."""
    settings = settings_or_exit()
    asyncio.run(upgrade_database(settings.database_url))
    typer.echo("database is at the newest schema")


def check_observability(settings: Settings) -> None:
    """Refuse, with one line, a LOG_FILE the app factory could not open in every worker (a
    traceback each); every other variable was checked by ``Settings``. Also makes this
    process's own lines JSON before a server starts."""
    from app.core.logging import configure_logging

    try:
        configure_logging(settings)
    except SettingsError as exc:
        raise fail(str(exc)) from None


def announce_address(settings: Settings, host: str, port: int) -> None:
    """In a terminal, say plainly where the service answers (the logs are JSON lines)."""
    if not sys.stdout.isatty():
        return
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}" if ":" not in shown else f"http://[{shown}]:{port}"
    pages = f"API docs {base}/docs, " if settings.api_docs_enabled else ""
    typer.echo(f"Residency Scheduler at {base} ({pages}metrics {base}/metrics); Ctrl-C stops it")


def ensure_migrated(database_url: str) -> None:
    """Refuse to serve a database every API call would fail on; an unreachable one is only
    reported (``/ready`` answers 503 until it comes up)."""
    from app.db.migrate import SchemaOutOfDate, check_schema

    try:
        asyncio.run(check_schema(database_url))
    except SchemaOutOfDate as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        typer.echo(
            f"warning: the database is unreachable ({type(exc).__name__}); "
            "/ready answers 503 until it is",
            err=True,
        )


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT)")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes; more than 1 runs gunicorn with uvicorn workers and "
            "prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR)",
        ),
    ] = 1,
) -> None:
    """Serve the API (and /metrics): uvicorn, or gunicorn with uvicorn workers (--workers N)."""
    from app.core.environment import hand_down

    settings = settings_or_exit()
    bind_host, bind_port = host or settings.host, port or settings.port
    if workers > 1 and reload:
        raise fail("--reload works with one worker only")
    check_observability(settings)
    ensure_migrated(settings.database_url)
    from app.auth.secret import ensure_shared_jwt_secret

    ensure_shared_jwt_secret(settings)  # before any worker or reloader process starts
    # The app (built by the factory, in every worker) reads where it listens from its settings,
    # e.g. for the Pushgateway's instance label.
    hand_down(HOST=bind_host, PORT=str(bind_port))
    announce_address(settings, bind_host, bind_port)
    if workers > 1:
        from app.gunicorn_conf import exec_gunicorn

        exec_gunicorn(bind_host, bind_port, workers)  # replaces this process
        return
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        reload=reload,
        # Forwarded headers are trusted by the app itself, from TRUSTED_PROXIES only (never
        # uvicorn's default of 127.0.0.1 or its FORWARDED_ALLOW_IPS): docs/security.md
        proxy_headers=False,
        access_log=False,  # the app writes its own access-log line
    )


@cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Schedule file (JSON) to import")],
) -> None:
    """Replace the stored schedule for the file's period with the file (one transaction)."""
    from app.errors import DomainError
    from app.schedules.transfer import import_schedule

    try:
        schedule = load_schedule_file(file)
    except ScheduleFileError as exc:
        raise fail(str(exc)) from None

    async def work(database: Database) -> str:
        async with database.session() as session:
            summary = await import_schedule(session, schedule)
        return summary.model_dump_json()

    try:
        typer.echo(with_database(work))
    except DomainError as exc:  # names the offending item, e.g. a resident id held by faculty
        raise fail(exc.message) from None
    except ValueError as exc:
        raise fail(str(exc)) from None


@cli.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the schedule file")],
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD")] = None,
    with_names: Annotated[bool, typer.Option(help="Include residents' names")] = False,
) -> None:
    """Write the stored schedule (default: the active academic year) as a schedule file."""
    from app.errors import DomainError
    from app.schedules.transfer import export_schedule

    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise fail(f"--start/--end: {exc}") from None

    async def work(database: Database) -> str:
        from app.audit.service import audit_access

        async with database.session() as session:
            schedule = await export_schedule(session, start=first, end=last, with_names=with_names)
            # Exports from the command line are on the audit trail too (no user: actor None).
            await audit_access(session, actor_user_id=None, resource_type="export", action="export")
        return json.dumps(schedule.to_json_dict(), indent=1)

    try:
        text = with_database(work)
    except DomainError as exc:
        raise fail(exc.message) from None
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise fail(f"{out}: cannot write ({exc.strerror})") from None
    typer.echo(f"wrote {out}")


@cli.command()
def seed(
    demo: Annotated[
        str, typer.Option("--demo", help="Demo program size: small, medium or large")
    ] = "medium",
    seed_value: Annotated[int, typer.Option("--seed", help="Solver seed")] = 0,
    force: Annotated[bool, typer.Option(help="Regenerate even if already seeded")] = False,
) -> None:
    """Load the demo program: residents, faculty, rotations and a generated academic year.

    Safe to re-run: an already seeded database is left as it is (unless --force).
    """
    from app.core.config import DEFAULT_DATABASE_URL
    from app.errors import DomainError
    from app.schedules.seed import (
        SeedError,
        credentials_path,
        ensure_demo_admin,
        save_demo_credentials,
        seed_demo,
    )

    settings = settings_or_exit()

    async def work(database: Database) -> tuple[str, str | None]:
        message = await seed_demo(database, size=demo, seed=seed_value, force=force)
        demo_admin = settings.environment != "production"
        return message, (await ensure_demo_admin(database)) if demo_admin else None

    try:
        message, password = with_database(work)
    except SeedError as exc:
        raise fail(str(exc), code=1) from None
    except DomainError as exc:  # the stored data refuses the demo (e.g. a code held by faculty)
        raise fail(exc.message) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    typer.echo(message)
    if password is not None:
        saved_in = credentials_path(settings.database_url, DEFAULT_DATABASE_URL)
        typer.echo(save_demo_credentials(saved_in, password))


@cli.command()
def worker() -> None:
    """Run generation jobs until SIGTERM or Ctrl-C (with GENERATION_WORKER=external).

    Uses DATABASE_URL and the queue (REDIS_URL, else GENERATION_QUEUE_FILE). The first
    signal lets the job being solved finish; a second stops at once and fails that job.
    """
    settings = settings_or_exit()
    check_observability(settings)  # LOG_FILE checked; this process logs JSON like the app
    from app.worker import run_worker

    run_worker(settings)


cli.command("validate")(validate)
cli.command("fairness")(fairness)
cli.command("generate")(generate)
cli.command("create-user")(create_user)
cli.command("doctor")(doctor)
cli.add_typer(alerts, name="alerts")
cli.add_typer(dashboards, name="dashboards")
cli.add_typer(stack, name="stack")


def main() -> None:
    cli()

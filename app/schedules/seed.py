"""The demo program of ``spec/benchmark-program.md``, loaded into an empty (or demo) database."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.auth.models import Role, User
from app.auth.schemas import UserCreate
from app.auth.users import create_user
from app.db.engine import Database
from app.generation import demo_program
from app.people.models import Person, PersonKind
from app.schedules.generated import store_generated
from app.schedules.models import AcademicYear, Shift

DEMO_SIZES = ("small", "medium", "large")
FACULTY_PER_SIZE = {"small": 6, "medium": 9, "large": 18}


class SeedError(RuntimeError):
    """The demo could not be generated (the message says why)."""


async def ensure_demo_admin(database: Database) -> str | None:
    """A first ``admin`` account for the demo when there is none; returns its random password
    (the caller shows it once), or None when accounts already exist."""
    async with database.session() as session:
        if await session.scalar(select(func.count()).select_from(User)):
            return None
        password = secrets.token_urlsafe(15)
        await create_user(session, UserCreate(username="admin", password=password, role=Role.ADMIN))
    return password


def credentials_path(database_url: str, default_url: str) -> Path:
    """Where the demo password is saved: ``data/demo-credentials.txt`` for the default
    database, a file named after the database otherwise (seeding a second database must not
    overwrite the first one's password)."""
    if database_url == default_url:
        return Path("data") / "demo-credentials.txt"
    url = make_url(database_url)
    name = Path(url.database or "memory").stem
    label = "-".join(part for part in (url.host, name) if part)
    return Path("data") / f"demo-credentials-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.txt"


def save_demo_credentials(path: Path, password: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"username: admin\npassword: {password}\n", encoding="utf-8")
    path.chmod(0o600)
    return f"demo sign-in: admin / {password} (saved in {path})"


async def seed_demo(database: Database, *, size: str, seed: int = 0, force: bool = False) -> str:
    if size not in DEMO_SIZES:
        raise ValueError(f"--demo: expected one of {', '.join(DEMO_SIZES)}, got {size!r}")
    program = demo_program(size)  # type: ignore[arg-type]
    async with database.session() as session:
        year = await session.scalar(
            select(AcademicYear).where(AcademicYear.start_date == program.academic_year_start)
        )
        shifts = await session.scalar(select(func.count()).select_from(Shift))
        if year is not None and shifts and not force:
            residents = await session.scalar(
                select(func.count()).select_from(Person).where(Person.kind == PersonKind.RESIDENT)
            )
            wanted = len(program.roster())
            if residents != wanted:  # DEMO_SIZE changed on a seeded database
                return (
                    f"already seeded with another demo ({residents} residents; {size} has "
                    f"{wanted}): kept as it is. For the {size} demo use a new database "
                    f"(DATABASE_URL), or `residency-scheduler seed --demo {size} --force` to "
                    "regenerate this one's year"
                )
            return f"already seeded ({year.program}, {shifts} shifts); use --force to regenerate"

    from app.generation.generator import generate_schedule  # the solver loads only here

    result = generate_schedule(program, seed=seed)
    if result.schedule is None:
        raise SeedError(f"demo generation {result.status}: {result.explanation}")

    async with database.session() as session:
        summary = await store_generated(session, program, result)
        existing = set(
            await session.scalars(select(Person.code).where(Person.kind == PersonKind.FACULTY))
        )
        for n in range(1, FACULTY_PER_SIZE[size] + 1):
            code = f"fac-{n:02d}"
            if code not in existing:
                session.add(Person(code=code, kind=PersonKind.FACULTY))
    return (
        f"seeded {program.name} ({size}): {summary.residents_created} residents created, "
        f"{summary.shifts} shifts, {result.status} in {result.wall_time:.1f} s"
    )

"""Generation jobs are rows and queue messages: they survive restarts, any replica answers for
them, workers run them, and a job whose worker died says so in a coordinator's words."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from fastapi import FastAPI
from redis import Redis

from app.auth.models import Role
from app.compliance import validate_schedule
from app.core.config import Settings
from app.db.base import utcnow
from app.db.engine import Database
from app.db.migrate import upgrade_database
from app.generation import generator
from app.generation.generator import GenerationResult, Progress
from app.generation.jobs import MAX_PENDING, GenerationJobs
from app.generation.models import WORKER_STOPPED, GenerationJobRecord
from app.generation.program import demo_program
from app.generation.shifts import TeamShifts
from app.main import create_app
from app.schedules.file_format import ScheduleFile, parse_schedule
from tests.support.api import API, api_client, signed_in_headers, wait_for_job
from tests.support.lifespan import start, stop
from tests.support.schedules import schedule_file
from tests.support.servers import PostgresServer, RedisServer

SHARED_JWT_SECRET = "replicas-share-this-signing-key-0123456789"
SMALL = {"demo": "small", "seed": 3}


def replica_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """What every replica of one deployment is given (one database, one queue, one key)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "jwt_secret": SHARED_JWT_SECRET,
        "generation_queue_file": str(tmp_path / "generation-queue.db"),
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def replica(
    settings: Settings, headers: dict[str, str] | None = None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """One running app; signed in as a new coordinator unless ``headers`` are given."""
    app = await start(create_app(settings))
    try:
        headers = headers or await signed_in_headers(app, Role.COORDINATOR)
        async with api_client(app, headers) as client:
            yield app, client
    finally:
        await stop(app)


async def poll(
    client: httpx.AsyncClient, job_id: str, until: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    for _ in range(1200):  # a bound for a loaded 2-core machine; returns as soon as it holds
        response = await client.get(f"{API}/generation-jobs/{job_id}")
        assert response.status_code == 200, response.text
        if until(job := response.json()):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"generation job {job_id} never got there: {job}")


class HeldSolve:
    """Stands in for the solver: reports progress, then waits until the test releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, program: object, **options: Any) -> GenerationResult:
        options["on_progress"](Progress("rotations", 3, 120.0, 100.0, 0.5))
        self.release.wait(60)
        return GenerationResult(
            status="infeasible",
            schedule=None,
            objective=None,
            bound=None,
            wall_time=0.5,
            time_to_first_feasible=None,
            explanation="held by the test",
        )


@pytest.fixture
def held_solve(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldSolve]:
    held = HeldSolve()
    monkeypatch.setattr(generator, "generate_schedule", held)
    yield held
    held.release.set()  # a solve thread left behind ends


class _LateClock:
    """The generator's ``time`` module, whose monotonic clock jumps past any time limit once
    ``late`` is set (the solver's own clocks, and the event loop's, are left alone)."""

    def __init__(self) -> None:
        self.late = threading.Event()

    def monotonic(self) -> float:
        return time.monotonic() + (1e6 if self.late.is_set() else 0.0)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def shifts_run_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The time limit runs out while placing shifts, deterministically: the last team-block's
    model 'runs out of time' with nothing placed, and then the clock says the limit is over
    (as tests/generation/test_humane.py does for the generator alone)."""
    real_solve = generator._solve_teams
    clock = _LateClock()

    def solve_then_run_out(*args: Any) -> list[TeamShifts]:
        results = real_solve(*args)
        clock.late.set()
        last = results[-1]
        lost = replace(last.outcome, status="timeout", solutions=0)
        return [*results[:-1], replace(last, outcome=lost, worked=[])]

    monkeypatch.setattr(generator, "_solve_teams", solve_then_run_out)
    monkeypatch.setattr(generator, "time", clock)


# --- a time limit that runs out while placing shifts ---------------------------------------

RAN_OUT = (
    "the time limit (5 s) ran out while placing the shifts of WARDS team 2 in block 13 and 0 "
    "other team-block(s), before a complete schedule was found; the best schedule so far is "
    "kept, with those 1 team-block(s) unstaffed (about 56 shifts missing); allow more time"
)


class PartialSolve:
    """Stands in for a solve whose time limit runs out while placing shifts: the year so far
    when the caller asks for it (``keep_partial``), else no schedule, as the generator does."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}

    def __call__(self, program: object, **options: Any) -> GenerationResult:
        self.options = options
        data = schedule_file(program="Demo Internal Medicine")
        data["period"] = {"start": "2026-07-01", "end": "2027-06-30"}
        kept = parse_schedule(data) if options.get("keep_partial") else None
        return GenerationResult(
            status="timeout",
            schedule=kept,
            objective=None,
            bound=None,
            wall_time=5.0,
            time_to_first_feasible=None,
            explanation=RAN_OUT,
        )


async def check_the_year_is_kept_apart(
    client: httpx.AsyncClient, job_id: str
) -> tuple[dict[str, Any], ScheduleFile]:
    """The job failed (timeout) and keeps its year, downloadable as a schedule file; the
    active schedule (the test file, imported first) and the stored years are unchanged."""
    active = (await client.get(f"{API}/schedule/export")).json()
    years = (await client.get(f"{API}/academic-years")).json()
    job = await wait_for_job(client, job_id)
    assert (job["status"], job["outcome"], job["partial_schedule"]) == (
        "failed",
        "timeout",
        True,
    ), job
    assert "the best schedule so far is kept" in job["explanation"]
    assert job["explanation"].endswith(
        "; the incomplete year is kept with this job, not made the active schedule: download "
        f"it from GET /api/v1/generation-jobs/{job_id}/schedule"
    )
    assert job["academic_year_id"] is None
    listed = (await client.get(f"{API}/generation-jobs")).json()
    assert [(j["id"], j["partial_schedule"]) for j in listed] == [(job_id, True)]

    download = await client.get(f"{API}/generation-jobs/{job_id}/schedule")
    assert download.status_code == 200, download.text
    kept = parse_schedule(download.json())  # a schedule file, as /schedule/export gives
    assert len(kept.shifts) == job["shifts"]
    assert (str(kept.period.start), str(kept.period.end)) == ("2026-07-01", "2027-06-30")

    # The incomplete year did not become the active schedule.
    assert (await client.get(f"{API}/schedule/export")).json() == active
    assert (await client.get(f"{API}/academic-years")).json() == years

    # A coordinator who wants it anyway uploads the downloaded file.
    uploaded = await client.post(f"{API}/schedule/import", json=download.json())
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["shifts"] == job["shifts"]
    return job, kept


async def test_a_timed_out_job_keeps_its_year_so_far_apart_from_the_active_schedule(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solve = PartialSolve()
    monkeypatch.setattr(generator, "generate_schedule", solve)
    settings = replica_settings(database_url, tmp_path)  # embedded: this process solves
    async with replica(settings) as (_, client):
        assert (await client.post(f"{API}/schedule/import", json=schedule_file())).is_success
        started = await client.post(f"{API}/schedule/generate", json={**SMALL, "time_limit": 5})
        assert started.status_code == 202 and started.json()["partial_schedule"] is False
        job, _ = await check_the_year_is_kept_apart(client, started.json()["id"])
    assert solve.options["keep_partial"] is True
    assert job["explanation"].startswith(RAN_OUT) and job["shifts"] == 3


async def test_the_real_generator_running_out_while_placing_shifts_keeps_its_year(
    sqlite_url: str, tmp_path: Path, shifts_run_out: None
) -> None:
    settings = replica_settings(sqlite_url, tmp_path)
    async with replica(settings) as (_, client):
        assert (await client.post(f"{API}/schedule/import", json=schedule_file())).is_success
        started = await client.post(f"{API}/schedule/generate", json={**SMALL, "time_limit": 600})
        job, kept = await check_the_year_is_kept_apart(client, started.json()["id"])
    assert job["explanation"].startswith("the time limit (600 s) ran out while placing")
    assert job["shifts"] > 1000
    assert validate_schedule(kept).valid  # incomplete, not unlawful


async def test_a_job_without_a_kept_year_has_no_schedule_to_download(
    sqlite_url: str, tmp_path: Path
) -> None:
    job_id = await insert_running_job(sqlite_url, worker="elsewhere:1:x", silent_for=1)
    settings = replica_settings(sqlite_url, tmp_path, generation_worker="external")
    async with replica(settings) as (_, client):
        assert (await client.get(f"{API}/generation-jobs/{job_id}")).json()[
            "partial_schedule"
        ] is False
        none_kept = await client.get(f"{API}/generation-jobs/{job_id}/schedule")
        assert none_kept.status_code == 404
        assert none_kept.json()["detail"].startswith(
            f"generation job {job_id} keeps no schedule: only a job whose time limit ran out"
        )
        unknown = await client.get(f"{API}/generation-jobs/{'b' * 32}/schedule")
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == f"generation job {'b' * 32} not found"


# --- restarts and replicas -----------------------------------------------------------------


async def test_a_queued_job_survives_a_restart_and_runs_when_a_worker_starts(
    database_url: str, tmp_path: Path
) -> None:
    settings = replica_settings(database_url, tmp_path, generation_worker="external")
    async with replica(settings) as (_, client):
        started = await client.post(f"{API}/schedule/generate", json=SMALL)
        assert started.status_code == 202 and started.json()["status"] == "queued"
        headers = dict(client.headers)
    job_id = started.json()["id"]

    async with replica(settings, headers) as (_, client):  # the process that accepted it is gone
        job = (await client.get(f"{API}/generation-jobs/{job_id}")).json()
        assert job["status"] == "queued" and job["progress"] is None
        database = Database(database_url)
        worker = GenerationJobs.from_settings(settings, database, embedded=True)
        worker.start()  # what `residency-scheduler worker` runs
        try:
            done = await wait_for_job(client, job_id)
        finally:
            await worker.close()
            await database.dispose()
    assert done["status"] == "succeeded", done
    assert done["outcome"] in ("optimal", "feasible") and done["shifts"] > 0
    assert done["started_at"] and done["finished_at"] and done["progress"]["phase"] == "done"


@pytest.mark.postgres
async def test_replicas_on_postgres_and_redis_share_jobs_and_progress(
    postgres: PostgresServer, redis: RedisServer, tmp_path: Path, held_solve: HeldSolve
) -> None:
    database_url = postgres.create_database("generation_replicas")
    await upgrade_database(database_url)
    queue_url = redis.url.replace("/0", "/6")  # a Redis database of its own
    with Redis.from_url(queue_url) as connection:
        connection.flushdb()
    settings = replica_settings(database_url, tmp_path, redis_url=queue_url)
    async with (
        replica(settings) as (_, first),
        replica(settings, dict(first.headers)) as (_, second),
    ):
        started = await first.post(f"{API}/schedule/generate", json=SMALL)
        assert started.status_code == 202
        job_id = started.json()["id"]
        # The other replica answers for it (no 404), and shows the solver's progress.
        running = await poll(second, job_id, lambda j: j["progress"] is not None)
        assert running["status"] == "running"
        assert running["progress"] == {
            "phase": "rotations", "solutions": 3, "objective": 120.0, "bound": 100.0,
            "elapsed": 0.5,
        }  # fmt: skip
        held_solve.release.set()
        done = await poll(second, job_id, lambda j: j["status"] != "running")
        assert done["status"] == "failed" and done["explanation"] == "held by the test"
        assert [j["id"] for j in (await first.get(f"{API}/generation-jobs")).json()] == [job_id]


async def test_too_many_pending_jobs_is_409_whichever_replica_is_asked(
    database_url: str, tmp_path: Path
) -> None:
    settings = replica_settings(database_url, tmp_path, generation_worker="external")
    async with (
        replica(settings) as (_, first),
        replica(settings, dict(first.headers)) as (_, second),
    ):
        for _ in range(MAX_PENDING):
            assert (await first.post(f"{API}/schedule/generate", json=SMALL)).status_code == 202
        refused = await second.post(f"{API}/schedule/generate", json=SMALL)
        assert refused.status_code == 409
        assert "already waiting or running" in refused.json()["detail"]
        listed = (await second.get(f"{API}/generation-jobs")).json()
        assert [j["status"] for j in listed] == ["queued"] * MAX_PENDING


async def test_an_unreachable_queue_is_503_and_the_job_says_so(
    sqlite_url: str, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replica_settings(
        sqlite_url, tmp_path, generation_worker="external", redis_url=f"redis://127.0.0.1:{port}/0"
    )
    async with replica(settings) as (_, client):
        refused = await client.post(f"{API}/schedule/generate", json=SMALL)
        assert refused.status_code == 503
        (job,) = (await client.get(f"{API}/generation-jobs")).json()
        assert job["status"] == "failed" and "queue" in job["explanation"]


# --- dead workers --------------------------------------------------------------------------


async def insert_running_job(database_url: str, *, worker: str, silent_for: float) -> str:
    database = Database(database_url)
    try:
        async with database.session() as session:
            now = utcnow()
            session.add(
                GenerationJobRecord(
                    id="a" * 32,
                    status="running",
                    seed=0,
                    time_limit=None,
                    program=demo_program("small").model_dump(mode="json"),
                    created_at=now - timedelta(seconds=silent_for + 5),
                    started_at=now - timedelta(seconds=silent_for + 5),
                    heartbeat_at=now - timedelta(seconds=silent_for),
                    worker=worker,
                )
            )
    finally:
        await database.dispose()
    return "a" * 32


async def test_a_running_job_whose_worker_went_silent_is_failed(
    database_url: str, tmp_path: Path
) -> None:
    job_id = await insert_running_job(database_url, worker="elsewhere:1:x", silent_for=120)
    settings = replica_settings(database_url, tmp_path, generation_worker="external")
    async with replica(settings) as (_, client):
        job = (await client.get(f"{API}/generation-jobs/{job_id}")).json()
        assert job["status"] == "failed" and job["outcome"] == "error"
        assert (
            job["explanation"]
            == WORKER_STOPPED
            == ("the worker stopped while solving; start the generation again")
        )
        # It no longer counts as pending: a new generation is accepted.
        assert (await client.post(f"{API}/schedule/generate", json=SMALL)).status_code == 202


def _a_pid_that_is_gone() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_a_job_of_a_process_that_is_gone_is_failed_when_a_consumer_starts(
    sqlite_url: str, tmp_path: Path
) -> None:
    worker = f"{socket.gethostname()}:{_a_pid_that_is_gone()}:0badc0de"
    job_id = await insert_running_job(sqlite_url, worker=worker, silent_for=1)  # fresh heartbeat
    settings = replica_settings(sqlite_url, tmp_path)  # embedded: the consumer starts here
    async with replica(settings) as (_, client):
        job = await poll(client, job_id, lambda j: j["status"] != "running")
    assert job["status"] == "failed" and job["explanation"] == WORKER_STOPPED


async def test_stopping_an_app_mid_solve_fails_its_job_and_drops_the_late_result(
    sqlite_url: str, tmp_path: Path, held_solve: HeldSolve
) -> None:
    settings = replica_settings(sqlite_url, tmp_path)
    async with replica(settings) as (_, client):
        job_id = (await client.post(f"{API}/schedule/generate", json=SMALL)).json()["id"]
        await poll(client, job_id, lambda j: j["status"] == "running")
        headers = dict(client.headers)
    held_solve.release.set()  # the solve "ends" after its process stopped taking jobs
    await asyncio.sleep(2.0)  # time for its (refused) attempt to record the result
    restarted = replica_settings(sqlite_url, tmp_path, generation_worker="external")
    async with replica(restarted, headers) as (_, client):
        job = (await client.get(f"{API}/generation-jobs/{job_id}")).json()
    assert job["status"] == "failed" and job["explanation"] == WORKER_STOPPED


# --- the worker command --------------------------------------------------------------------


def _worker_environment(database_url: str, queue: Path) -> dict[str, str]:
    inherited = {
        k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "CI")
    }
    return {
        **inherited,
        "DATABASE_URL": database_url,
        "GENERATION_WORKER": "external",
        "GENERATION_QUEUE_FILE": str(queue),
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "INFO",
        "METRICS_ENABLED": "true",
    }


def _start_worker(database_url: str, tmp_path: Path, out: IO[bytes]) -> subprocess.Popen[bytes]:
    """``residency-scheduler worker`` as an operator starts it (its own folder: no .env)."""
    command = Path(sys.executable).parent / "residency-scheduler"
    return subprocess.Popen(
        [str(command), "worker"],
        cwd=tmp_path,
        env=_worker_environment(database_url, tmp_path / "generation-queue.db"),
        stdout=out,
        stderr=subprocess.STDOUT,
    )


async def test_the_worker_command_runs_queued_jobs_and_stops_on_sigterm(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = replica_settings(sqlite_url, tmp_path, generation_worker="external")
    log = tmp_path / "worker.log"
    async with replica(settings) as (_, client):
        job_id = (await client.post(f"{API}/schedule/generate", json=SMALL)).json()["id"]
        with log.open("wb") as out:
            process = _start_worker(sqlite_url, tmp_path, out)
            try:
                done = await wait_for_job(client, job_id)
            finally:
                process.send_signal(signal.SIGTERM)
                code = await asyncio.to_thread(process.wait, 60)
    output = log.read_text()
    assert done["status"] == "succeeded", (done, output)
    assert code == 0, output
    assert "generation worker ready" in output and "generation worker stopped" in output


@pytest.mark.parametrize("second_signal", [False, True])
async def test_a_stopping_worker_lets_its_solve_finish_unless_told_twice(
    sqlite_url: str, tmp_path: Path, held_solve: HeldSolve, second_signal: bool
) -> None:
    settings = replica_settings(sqlite_url, tmp_path, generation_worker="external")
    async with replica(settings) as (_, client):
        job_id = (await client.post(f"{API}/schedule/generate", json=SMALL)).json()["id"]
        database = Database(sqlite_url)
        worker = GenerationJobs.from_settings(settings, database, embedded=True)
        worker.start()
        try:
            await poll(client, job_id, lambda j: j["status"] == "running")
            interrupt = asyncio.Event()  # what the worker command's second signal sets
            closing = asyncio.create_task(worker.close(interrupt=interrupt))
            await asyncio.sleep(2.0)  # longer than an idle consumer takes to stop
            assert not closing.done()  # the first signal waits for the solve
            assert (await client.get(f"{API}/generation-jobs/{job_id}")).json()["status"] == (
                "running"
            )
            if second_signal:
                interrupt.set()
            else:
                held_solve.release.set()
            await asyncio.wait_for(closing, 30)
        finally:
            await database.dispose()
        job = await poll(client, job_id, lambda j: j["status"] != "running")
    if second_signal:
        assert job["status"] == "failed" and job["explanation"] == WORKER_STOPPED
    else:
        assert job["status"] == "failed" and job["explanation"] == "held by the test"

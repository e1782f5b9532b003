"""Domain spans (generation, validation, guarded changes) carry counts, never names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.compliance.service import checked, guarded_change
from app.core.config import Settings
from app.db.engine import Database
from app.generation.jobs import GenerationJobs
from app.generation.program import demo_program
from app.generation.runner import run_job
from app.schedules.file_format import parse_schedule
from tests.support.schedules import schedule_file


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def test_validation_span_has_counts_only(memory_spans: InMemorySpanExporter) -> None:
    schedule = parse_schedule(schedule_file())
    report = checked(schedule, "upload")
    (span,) = named(memory_spans, "compliance.validate")
    attributes = dict(span.attributes or {})
    assert attributes == {
        "source": "upload",
        "strict": False,
        "resident_count": 2,
        "blocks": report.resident_blocks // 2,
        "violations": sum(v.severity == "violation" for v in report.violations),
        "warnings": sum(v.severity == "warning" for v in report.violations),
        "valid": report.valid,
    }
    assert "r01" not in repr(span.to_json())


async def test_guarded_change_span(memory_spans: InMemorySpanExporter, database_url: str) -> None:
    database = Database(database_url)

    async def change() -> str:
        return "changed"

    try:
        async with database.session() as session:
            result = await guarded_change(
                session,
                person_ids=[1, 2],
                day=date(1999, 1, 1),  # outside every academic year
                change=change,
                justification=None,
                actor_user_id=7,
            )
    finally:
        await database.dispose()
    assert result == "changed"
    (span,) = named(memory_spans, "compliance.guarded_change")
    assert dict(span.attributes or {}) == {"source": "shift_change", "resident_count": 2}


async def test_generation_span(
    memory_spans: InMemorySpanExporter, database_url: str, tmp_path: Path
) -> None:
    program = demo_program("small").model_dump(mode="json")
    for cls in program["classes"]:
        cls["residents"] = 2  # infeasible: the job ends quickly
    infeasible = type(demo_program("small")).model_validate(program)
    database = Database(database_url)
    settings = Settings(database_url=database_url, generation_queue_file=str(tmp_path / "q.db"))
    jobs = GenerationJobs.from_settings(settings, database, embedded=False)
    try:
        job = await jobs.submit(infeasible, seed=1, time_limit=30)
        # What a queue consumer does with the job's id, here: the span is where the job runs.
        assert await run_job(database, job.id, worker="test") == "failed"
    finally:
        await jobs.close()
        await database.dispose()
    (span,) = named(memory_spans, "schedule_generation")
    assert dict(span.attributes or {}) == {
        "resident_count": len(infeasible.roster()),
        "blocks": infeasible.blocks,
        "outcome": "infeasible",
    }

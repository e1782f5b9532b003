"""What validation, generation and overrides publish on the event bus (the metrics subscribe).

One test per event type, driven through the real API: the domain code announces its results
through ``app.events``, with rule ids, severities and outcomes only, never a resident.
"""

from __future__ import annotations

import httpx

from app.compliance.events import OverrideRecorded, ScheduleGenerated, ScheduleValidated
from tests.support.api import API, wait_for_job
from tests.support.events import captured
from tests.support.schedules import schedule_file, too_many_hours


async def test_validation_publishes_counts_score_and_source(client: httpx.AsyncClient) -> None:
    with captured(ScheduleValidated) as events:
        assert (await client.post(f"{API}/compliance/validate", json=too_many_hours())).is_success
        await client.post(f"{API}/schedule/import", json=too_many_hours())
        whole = (await client.get(f"{API}/compliance/report")).json()
        await client.get(f"{API}/compliance/report", params={"start": "2026-07-05"})

    upload, stored, part = events
    assert upload.source == "upload" and upload.valid is False
    assert upload.compliance_score == 50.0
    assert upload.counts[("hours_80_weekly", "violation")] == 1
    assert upload.counts[("one_day_off_in_7", "violation")] == 1
    assert upload.covers_active_schedule is False
    assert stored.source == "stored" and stored.covers_active_schedule is True
    assert stored.compliance_score == whole["compliance_score"]
    assert part.covers_active_schedule is False  # a date range is not the whole schedule
    for event in events:  # only rule ids and severities: no resident codes anywhere
        assert all(key[0] != "r01" and key[1] in ("violation", "warning") for key in event.counts)


async def test_override_publishes_its_rules_and_a_refusal_does_not(
    client: httpx.AsyncClient,
) -> None:
    await client.post(f"{API}/schedule/import", json=schedule_file())
    people = (await client.get(f"{API}/people")).json()["items"]
    r02 = next(p["id"] for p in people if p["code"] == "r02")
    body = {"person_id": r02, "start": "2026-07-03T12:00", "end": "2026-07-03T19:00", "kind": "day"}
    with captured(OverrideRecorded, ScheduleValidated) as events:
        assert (await client.post(f"{API}/shifts", json=body)).status_code == 409
        refused = list(events)
        justified = {**body, "override_justification": "No other senior; rest moved to the 4th."}
        assert (await client.post(f"{API}/shifts", json=justified)).status_code == 201

    assert not any(isinstance(e, OverrideRecorded) for e in refused)
    assert [e.source for e in refused if isinstance(e, ScheduleValidated)] == ["shift_change"]
    overrides = [e for e in events if isinstance(e, OverrideRecorded)]
    assert overrides == [OverrideRecorded(rules=("rest_after_24h_call",))]


async def test_generation_publishes_outcome_duration_and_the_new_active_report(
    client: httpx.AsyncClient,
) -> None:
    with captured(ScheduleGenerated, ScheduleValidated) as events:
        started = await client.post(f"{API}/schedule/generate", json={"demo": "small"})
        job = await wait_for_job(client, started.json()["id"])
    assert job["status"] == "succeeded"
    generated = [e for e in events if isinstance(e, ScheduleGenerated)]
    assert len(generated) == 1
    assert generated[0].outcome == job["outcome"] and generated[0].residents == 24
    assert generated[0].duration_seconds == job["wall_time"] > 0
    validated = [e for e in events if isinstance(e, ScheduleValidated)]
    assert [(e.source, e.valid, e.covers_active_schedule) for e in validated] == [
        ("generation", True, True)
    ]


async def test_failed_generation_publishes_its_outcome(client: httpx.AsyncClient) -> None:
    with captured(ScheduleGenerated) as events:
        started = await client.post(
            f"{API}/schedule/generate", json={"demo": "small", "time_limit": 0.001}
        )
        job = await wait_for_job(client, started.json()["id"])
    assert job["status"] == "failed" and job["outcome"] == "timeout"
    assert "time limit" in job["explanation"]
    assert [e.outcome for e in events] == ["timeout"]

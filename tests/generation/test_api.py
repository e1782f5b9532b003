from __future__ import annotations

import httpx

from tests.support.api import API, wait_for_job


async def test_generate_small_demo_becomes_the_active_clean_schedule(
    client: httpx.AsyncClient,
) -> None:
    started = await client.post(f"{API}/schedule/generate", json={"demo": "small", "seed": 3})
    assert started.status_code == 202
    job = await wait_for_job(client, started.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["outcome"] in ("optimal", "feasible") and job["shifts"] > 0

    report = (await client.get(f"{API}/compliance/report")).json()
    assert report["valid"] is True and report["compliance_score"] == 100.0
    years = (await client.get(f"{API}/academic-years")).json()
    assert len(years[0]["blocks"]) == 13
    assignments = (await client.get(f"{API}/rotation-assignments", params={"limit": 1})).json()
    assert assignments["total"] == 24 * 13
    rotations = (await client.get(f"{API}/rotations")).json()["items"]
    assert {r["code"] for r in rotations} >= {"WARDS", "NF", "AMB"}
    listed = (await client.get(f"{API}/generation-jobs")).json()
    assert [j["id"] for j in listed] == [job["id"]]


async def test_infeasible_program_fails_with_an_explanation(client: httpx.AsyncClient) -> None:
    from app.generation.program import demo_program

    program = demo_program("small").model_dump(mode="json")
    for cls in program["classes"]:
        cls["residents"] = 2  # far too few for the staffing table
    started = await client.post(f"{API}/schedule/generate", json={"program": program})
    assert started.status_code == 202
    job = await wait_for_job(client, started.json()["id"])
    assert job["status"] == "failed" and job["outcome"] == "infeasible"
    assert job["explanation"] and "status" not in job["explanation"].lower()
    assert (await client.get(f"{API}/academic-years")).json() == []


async def test_bad_generation_requests_are_422_or_404(client: httpx.AsyncClient) -> None:
    both = await client.post(f"{API}/schedule/generate", json={"demo": "small", "program": {}})
    assert both.status_code == 422
    neither = await client.post(f"{API}/schedule/generate", json={})
    assert neither.status_code == 422
    bad_size = await client.post(f"{API}/schedule/generate", json={"demo": "huge"})
    assert bad_size.status_code == 422
    bad_program = await client.post(f"{API}/schedule/generate", json={"program": {"name": "x"}})
    assert bad_program.status_code == 422 and bad_program.json()["detail"].startswith("program:")
    assert (await client.get(f"{API}/generation-jobs/nope")).status_code == 404

"""The Grafana client end to end against the strict local fake of Grafana's HTTP API."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import __version__
from app.core.metrics.dashboards import create_dashboards_in_grafana
from app.core.metrics.grafana import (
    FOLDER_UID,
    GrafanaBadRequest,
    GrafanaClient,
    GrafanaConflict,
    GrafanaError,
    GrafanaForbidden,
    GrafanaNotFound,
    GrafanaUnauthorized,
    GrafanaUnavailable,
    GrafanaUrlError,
    RetryPolicy,
    push_dashboards,
)
from tests.support.fake_grafana import FakeGrafana, fake_grafana

TOKEN = "glsa_editor_0123456789abcdef"
VIEWER = "glsa_viewer_0123456789abcdef"
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.2)
MODEL_MODULE = Path(__file__).resolve().parents[3] / "app/core/metrics/dashboard_model.py"


def sample(uid: str, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "schemaVersion": 39,
        "panels": [{"id": 1, "type": "timeseries", "title": "Request rate"}],
        **extra,
    }


SAMPLES = [sample("rs-overview", "Overview"), sample("rs-compliance", "Compliance")]


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    with fake_grafana(
        tokens={TOKEN: "Editor", VIEWER: "Viewer"}, users={("admin", "s3cret"): "Admin"}
    ) as server:
        yield server


async def push(grafana: FakeGrafana, models: Any = None, **options: Any) -> Any:
    options.setdefault("api_key", TOKEN)
    options.setdefault("retry", FAST)
    return await create_dashboards_in_grafana(
        grafana_url=grafana.url, dashboards=SAMPLES if models is None else models, **options
    )


async def test_push_creates_the_folder_and_every_dashboard(grafana: FakeGrafana) -> None:
    results = await push(grafana)

    assert [(r.uid, r.title, r.status, r.version) for r in results] == [
        ("rs-overview", "Overview", "created", 1),
        ("rs-compliance", "Compliance", "created", 1),
    ]
    assert results[0].url == f"{grafana.url}/d/rs-overview/overview"
    assert grafana.folders[FOLDER_UID].title == "Residency Scheduler"
    (create,) = grafana.calls("POST", "/api/folders")
    assert create.headers["authorization"] == f"Bearer {TOKEN}"
    saves = grafana.calls("POST", "/api/dashboards/db")
    assert len(saves) == 2
    body = json.loads(saves[0].body)
    assert body["folderUid"] == FOLDER_UID and body["overwrite"] is True
    assert body["message"] == f"residency-scheduler {__version__}"
    assert "id" not in body["dashboard"] and body["dashboard"]["uid"] == "rs-overview"
    stored = grafana.dashboards["rs-overview"]
    assert stored.folder_uid == FOLDER_UID and stored.model["panels"] == SAMPLES[0]["panels"]


async def test_a_second_push_is_idempotent(grafana: FakeGrafana) -> None:
    await push(grafana)
    again = await push(grafana)

    assert [(r.status, r.version) for r in again] == [("unchanged", 1), ("unchanged", 1)]
    assert len(grafana.calls("POST", "/api/folders")) == 1  # found, not created again
    assert len(grafana.calls("POST", "/api/dashboards/db")) == 2
    assert {uid: d.version for uid, d in grafana.dashboards.items()} == {
        "rs-overview": 1,
        "rs-compliance": 1,
    }


async def test_a_changed_model_is_updated_with_a_new_version(grafana: FakeGrafana) -> None:
    await push(grafana)
    changed = copy.deepcopy(SAMPLES)
    changed[1]["panels"].append({"id": 2, "type": "stat", "title": "Compliance score"})
    results = await push(grafana, changed)

    assert [(r.status, r.version) for r in results] == [("unchanged", 1), ("updated", 2)]
    assert grafana.dashboards["rs-compliance"].version == 2
    assert len(grafana.dashboards["rs-compliance"].messages) == 2


async def test_a_dashboard_edited_in_grafana_is_overwritten(grafana: FakeGrafana) -> None:
    await push(grafana)
    grafana.dashboards["rs-overview"].model["title"] = "Overview (edited by hand)"
    grafana.dashboards["rs-overview"].version = 7
    (overview, _) = await push(grafana)
    assert (overview.status, overview.version) == ("updated", 8)
    assert grafana.dashboards["rs-overview"].title == "Overview"


async def test_an_id_in_the_model_is_not_sent(grafana: FakeGrafana) -> None:
    results = await push(grafana, [sample("rs-with-id", "With id", id=42, version=3)])
    assert results[0].status == "created"


async def test_the_folder_title_is_chosen_and_an_existing_folder_renamed(
    grafana: FakeGrafana,
) -> None:
    grafana.add_folder(FOLDER_UID, "Old title")
    await push(grafana, folder_title="Scheduling")
    assert grafana.folders[FOLDER_UID].title == "Scheduling"
    assert grafana.calls("POST", "/api/folders") == []


async def test_basic_auth(grafana: FakeGrafana) -> None:
    results = await push(grafana, api_key=None, basic_auth=("admin", "s3cret"))
    assert [r.status for r in results] == ["created", "created"]
    assert grafana.calls("POST", "/api/folders")[0].headers["authorization"].startswith("Basic ")


async def test_basic_auth_with_a_wrong_password_is_401(grafana: FakeGrafana) -> None:
    with pytest.raises(GrafanaUnauthorized, match="invalid username or password"):
        await push(grafana, api_key=None, basic_auth=("admin", "wrong"))


async def test_a_bad_token_is_401_naming_the_cause(grafana: FakeGrafana) -> None:
    with pytest.raises(GrafanaUnauthorized) as caught:
        await push(grafana, api_key="glsa_revoked")
    message = str(caught.value)
    assert "401" in message and "wrong, expired or revoked" in message
    assert 'Grafana says: "invalid API key"' in message
    assert caught.value.status == 401 and caught.value.exit_code == 2
    assert grafana.dashboards == {}


async def test_a_viewer_token_is_403_asking_for_the_editor_role(grafana: FakeGrafana) -> None:
    with pytest.raises(GrafanaForbidden) as caught:
        await push(grafana, api_key=VIEWER)
    message = str(caught.value)
    assert "403" in message and "Editor role" in message
    assert "Permissions needed: folders:create" in message


async def test_a_url_that_is_not_grafana_is_404(grafana: FakeGrafana) -> None:
    with pytest.raises(GrafanaNotFound, match="is not a Grafana"):
        await push_dashboards(grafana.url + "/grafana", SAMPLES, api_key=TOKEN, retry=FAST)


async def test_a_malformed_url_is_refused_before_any_request() -> None:
    with pytest.raises(GrafanaUrlError, match="must be an http"):
        await push_dashboards("localhost:3000", SAMPLES, api_key=TOKEN)


async def test_same_title_with_another_uid_is_412_name_exists(grafana: FakeGrafana) -> None:
    await push(grafana)
    with pytest.raises(GrafanaConflict) as caught:
        await push(grafana, [sample("rs-overview-2", "Overview")])
    message = str(caught.value)
    assert "412" in message and "already has this title" in message
    assert "A dashboard with the same name in the folder already exists" in message
    assert caught.value.status == 412


async def test_a_version_mismatch_is_412_explained(grafana: FakeGrafana) -> None:
    # The client always overwrites; a raw save without overwrite shows the fake's 412 and
    # how the client explains it.
    await push(grafana)
    async with GrafanaClient(grafana.url, api_key=TOKEN, retry=FAST) as client:
        with pytest.raises(GrafanaConflict) as caught:
            await client.request(
                "POST",
                "/api/dashboards/db",
                json={"dashboard": {**SAMPLES[0], "version": 0}, "folderUid": FOLDER_UID},
            )
    assert "version conflict" in str(caught.value)
    assert "The dashboard has been changed by someone else" in str(caught.value)


async def test_a_folder_title_taken_by_another_uid_is_a_conflict(grafana: FakeGrafana) -> None:
    grafana.add_folder("someone-else", "Residency Scheduler")
    with pytest.raises(GrafanaConflict, match="another folder already has this title"):
        await push(grafana)


async def test_a_model_grafana_rejects_is_400(grafana: FakeGrafana) -> None:
    with pytest.raises(GrafanaBadRequest, match="uid too long"):
        await push(grafana, [sample("x" * 41, "Too long")])


async def test_a_model_without_uid_is_refused_before_pushing(grafana: FakeGrafana) -> None:
    with pytest.raises(ValueError, match="no uid"):
        await push(grafana, [{"title": "No uid"}])
    assert grafana.requests == []


async def test_transient_503s_are_retried(grafana: FakeGrafana) -> None:
    grafana.fail_next(2, status=503)
    results = await push(grafana)
    assert [r.status for r in results] == ["created", "created"]


async def test_429_waits_for_retry_after(grafana: FakeGrafana) -> None:
    grafana.fail_next(1, status=429, retry_after="0.15")
    started = time.monotonic()
    await push(grafana)
    assert time.monotonic() - started >= 0.15


async def test_a_timeout_is_retried(grafana: FakeGrafana) -> None:
    grafana.hang_next(1, seconds=0.6)
    results = await push(grafana, request_timeout=0.2)
    assert len(results) == 2


async def test_retries_are_bounded_then_the_error_names_the_cause(grafana: FakeGrafana) -> None:
    grafana.fail_next(10, status=503)
    with pytest.raises(GrafanaUnavailable) as caught:
        await push(grafana)
    assert "failed 3 times" in str(caught.value) and "HTTP 503" in str(caught.value)
    assert len(grafana.requests) == 3
    assert isinstance(caught.value, GrafanaError)


async def test_an_unreachable_grafana_is_unavailable() -> None:
    with fake_grafana() as gone:
        url = gone.url
    with pytest.raises(GrafanaUnavailable, match="cannot connect"):
        await push_dashboards(url, SAMPLES, api_key=TOKEN, retry=FAST)


@pytest.mark.skipif(not MODEL_MODULE.exists(), reason="dashboard_model.py not there yet")
async def test_the_real_dashboards_push_and_stay_unchanged(grafana: FakeGrafana) -> None:
    first = await create_dashboards_in_grafana(grafana_url=grafana.url, api_key=TOKEN)
    assert first and {r.status for r in first} == {"created"}
    titles = [r.title for r in first]
    for name in ("Overview", "Compliance", "Security"):
        assert any(title.endswith(name) for title in titles), titles
    assert all(r.url.startswith(f"{grafana.url}/d/{r.uid}/") for r in first)
    again = await create_dashboards_in_grafana(grafana_url=grafana.url, api_key=TOKEN)
    assert {r.status for r in again} == {"unchanged"}

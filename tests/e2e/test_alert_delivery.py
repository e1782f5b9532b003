"""Alerts travel the whole way: app → Prometheus rules → Alertmanager routes → PagerDuty/Slack.

Real servers throughout: the app under uvicorn (SQLite), Debian's Prometheus evaluating the
rules ``app.core.metrics.alerts.export_prometheus_rules`` writes (every window and ``for``
scaled by 0.02, so 5m becomes 6s), and Debian's Alertmanager with the shipped
``deploy/alertmanager/alertmanager.yml`` where only what a test must change is changed: the
secret files live in a temporary directory, PagerDuty's ``url`` and the Slack webhook URL (read
from its ``api_url_file``) are local receivers, and the group timings are 1 s.

Two conditions are caused through the real API, at the same time:

* a burst of failed sign-ins (wrong passwords, ``POST /api/v1/auth/login``) fires the warning
  ``ResidencyFailedSignInSpike``, which must reach Slack and only Slack;
* importing a schedule with ACGME violations fires the critical
  ``ResidencyAcgmeViolationActive``, which must page PagerDuty (Events API v2) and only it.

Then both conditions end (no more failed sign-ins; a clean schedule for the same period) and
both receivers must get the resolution. Everything is polled; nothing sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from app.core.config import Settings
from tests.support.alerting import alertmanager_config_for_test, prometheus_config_for_test
from tests.support.database import migrated_with_admin
from tests.support.fixtures import require_component
from tests.support.live_app import live_app
from tests.support.receivers import Received, recording_receiver
from tests.support.schedules import schedule_file, too_many_hours
from tests.support.servers import AlertmanagerServer, alertmanager_server, prometheus_server

API = "/api/v1"
TIME_SCALE = 0.02  # 5m -> 6s
SPIKE = "ResidencyFailedSignInSpike"
ACGME = "ResidencyAcgmeViolationActive"
USERNAME = "alerts.admin"
PASSWORD = "correct-horse-battery"
ROUTING_KEY = "e2e0routing0key0000000000000000a"
SLACK_PATH = "/services/T00000000/B00000000/e2e-webhook"
PAGERDUTY_ACCEPTED = b'{"status":"success","message":"Event processed"}'
TIMEOUT = 60.0  # per wait; each normally takes a few seconds


def test_critical_pages_warning_posts_and_both_resolve(tmp_path: Path) -> None:
    require_component("prometheus")
    require_component("alertmanager")
    from app.core.metrics.alerts import export_prometheus_rules

    rules = tmp_path / "alerts.yml"
    export_prometheus_rules(str(rules), time_scale=TIME_SCALE)
    deliver_and_resolve(tmp_path, rules.read_text())


# --- the scenario ------------------------------------------------------------------------------


def deliver_and_resolve(tmp_path: Path, rules_yaml: str) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path}/alerts.db"
    asyncio.run(migrated_with_admin(database_url, USERNAME, PASSWORD))
    settings = Settings(
        database_url=database_url,
        environment="test",
        rate_limit_login="1000/minute",  # the default 5/minute would stop the burst
        lockout_threshold=100,
    )
    with ExitStack() as stack:
        pagerduty = stack.enter_context(
            recording_receiver(
                status=202, response_body=PAGERDUTY_ACCEPTED, content_type="application/json"
            )
        )
        slack = stack.enter_context(recording_receiver())
        alertmanager = stack.enter_context(
            alertmanager_server(
                alertmanager_config_for_test(
                    secrets_dir=tmp_path / "secrets",
                    secrets={
                        "pagerduty-routing-key": ROUTING_KEY,
                        "slack-webhook-url": slack.url + SLACK_PATH,
                        "smtp-password": "e2e-smtp-password",
                    },
                    pagerduty_url=pagerduty.url + "/v2/enqueue",
                )
            )
        )
        app_url = stack.enter_context(live_app(settings))
        prometheus = stack.enter_context(
            prometheus_server(
                prometheus_config_for_test(
                    app=app_url.removeprefix("http://"),
                    alertmanager=f"{alertmanager.host}:{alertmanager.port}",
                ),
                {"alerts.yml": rules_yaml},
            )
        )
        prometheus.wait_for('up{job="residency-scheduler"} == 1', timeout=TIMEOUT)
        token = sign_in(app_url)

        with failed_sign_ins(app_url):
            import_schedule(app_url, token, too_many_hours())
            page = pagerduty.wait_for(event(ACGME, "trigger"), f"{ACGME} paged", TIMEOUT)
            post = slack.wait_for(message(SPIKE, "[FIRING:"), f"{SPIKE} on Slack", TIMEOUT)
            assert_routed_only_to(alertmanager, {ACGME: "pagerduty", SPIKE: "slack"})

        assert page.path == "/v2/enqueue"
        trigger = page.json
        assert trigger["routing_key"] == ROUTING_KEY  # read from routing_key_file
        assert trigger["payload"]["severity"] == "critical"
        assert re.fullmatch(rf"\[FIRING:\d+\] {ACGME} critical", trigger["payload"]["summary"])
        assert "runbooks/alerts.md#" in trigger["payload"]["custom_details"]["runbook_url"]
        assert post.path == SLACK_PATH  # the URL read from api_url_file
        (attachment,) = post.json["attachments"]
        assert attachment["title"] == f"[FIRING:1] {SPIKE} warning"
        assert rendered(rules_yaml, SPIKE, "summary").search(attachment["text"])
        assert rendered(rules_yaml, SPIKE, "description").search(attachment["text"])  # value
        assert attachment["title_link"].endswith("runbooks/alerts.md#residencyfailedsigninspike")
        assert post.json["channel"] == "#alerts"

        import_schedule(app_url, token, schedule_file())  # the same period, no violation
        resolve = pagerduty.wait_for(
            lambda r: (
                r.json["event_action"] == "resolve" and r.json["dedup_key"] == trigger["dedup_key"]
            ),
            f"{ACGME} resolved",
            TIMEOUT,
        ).json
        assert resolve["routing_key"] == ROUTING_KEY
        assert resolve["payload"]["summary"] == f"[RESOLVED] {ACGME} critical"
        slack.wait_for(message(SPIKE, "[RESOLVED]"), f"{SPIKE} resolved on Slack", TIMEOUT)

        assert not [r for r in slack.received if ACGME in r.body.decode()], "critical on Slack"
        assert not [r for r in pagerduty.received if SPIKE in r.body.decode()], "warning paged"


# --- causing the conditions -------------------------------------------------------------------


def sign_in(url: str) -> str:
    with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
        response = client.post(
            f"{API}/auth/login", json={"username": USERNAME, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@contextmanager
def failed_sign_ins(url: str, workers: int = 3, pause: float = 0.05) -> Iterator[None]:
    """Wrong passwords from ``workers`` clients at once, until the block ends.

    A wrong password costs a password hash (~0.15 s here), so one client alone would hardly
    exceed the alert's threshold (20 in 5 minutes, i.e. in 6 s at this time scale); once the
    address is locked out, refusals are cheap and ``pause`` keeps the load bounded.
    """
    stop = threading.Event()
    statuses: list[int] = []

    def attempt() -> None:
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as client:
            while not stop.is_set():
                body = {"username": USERNAME, "password": f"wrong-{len(statuses)}"}
                statuses.append(client.post(f"{API}/auth/login", json=body).status_code)
                stop.wait(pause)

    threads = [
        threading.Thread(target=attempt, name=f"failed-sign-ins-{n}", daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert statuses and set(statuses) <= {401, 429}, statuses


def import_schedule(url: str, token: str, schedule: dict[str, Any]) -> None:
    """Import ``schedule`` and read the stored report (which validates the active schedule)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, trust_env=False, timeout=30, headers=headers) as client:
        imported = client.post(f"{API}/schedule/import", json=schedule)
        assert imported.status_code == 200, imported.text
        report = client.get(f"{API}/compliance/report")
        assert report.status_code == 200, report.text


# --- what arrived -----------------------------------------------------------------------------


def event(alertname: str, action: str) -> Callable[[Received], bool]:
    """A PagerDuty Events API v2 event about ``alertname`` with ``event_action`` ``action``."""

    def matches(request: Received) -> bool:
        body = request.json
        return bool(
            body.get("event_action") == action and body["payload"].get("class") == alertname
        )

    return matches


def message(alertname: str, title_prefix: str) -> Callable[[Received], bool]:
    """A Slack message whose attachment title starts with ``title_prefix``, about ``alertname``."""

    def matches(request: Received) -> bool:
        titles = [a.get("title", "") for a in request.json.get("attachments", [])]
        return any(t.startswith(title_prefix) and f" {alertname} " in t for t in titles)

    return matches


def rendered(rules_yaml: str, alertname: str, annotation: str) -> re.Pattern[str]:
    """A pattern for ``annotation`` of rule ``alertname`` as Prometheus renders it: the
    literal text, with every ``{{ ... }}`` (the value, a label) standing for something."""
    rules = [rule for group in yaml.safe_load(rules_yaml)["groups"] for rule in group["rules"]]
    (rule,) = [rule for rule in rules if rule.get("alert") == alertname]
    pieces = re.split(r"{{.*?}}", rule["annotations"][annotation])
    return re.compile(".+?".join(re.escape(piece) for piece in pieces))


def assert_routed_only_to(alertmanager: AlertmanagerServer, expected: dict[str, str]) -> None:
    """Alertmanager's own view: each alert went to exactly the one expected receiver."""
    routed: dict[str, set[str]] = {}
    for alert in alertmanager.alerts():
        name = alert["labels"].get("alertname", "")
        routed.setdefault(name, set()).update(r["name"] for r in alert["receivers"])
    for alertname, receiver in expected.items():
        assert routed.get(alertname) == {receiver}, routed

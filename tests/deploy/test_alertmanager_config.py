"""The shipped Alertmanager configuration: valid, routed as the guide says, secrets in files.

``amtool`` (Alertmanager 0.25, Debian's ``prometheus-alertmanager``) checks the file and its
routing tree offline; a real Alertmanager then proves the inhibit rule, the e-mail receiver
and the templates with alerts posted to its API.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.alerting import (
    ALERTMANAGER_CONFIG,
    ALERTMANAGER_TEMPLATES,
    SECRETS_DIR,
    alertmanager_config_for_test,
    file_settings,
    run_tool,
)
from tests.support.receivers import Received, recording_receiver
from tests.support.servers import AlertmanagerServer, alertmanager_server
from tests.support.smtp import smtp_server

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "observability.md"
SECRET_FILES = {
    "smtp-password": "global.smtp_auth_password_file",
    "pagerduty-routing-key": "receivers[1].pagerduty_configs[0].routing_key_file",
    "slack-webhook-url": "receivers[2].slack_configs[0].api_url_file",
}
INLINE_SECRETS = {
    "routing_key",
    "service_key",
    "service_key_file",
    "api_url",
    "auth_password",
    "smtp_auth_password",
    "auth_secret",
}


def config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    return loaded


def receiver(name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in config()["receivers"] if r["name"] == name)
    return found


def keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {str(k) for k in node} | {k for v in node.values() for k in keys(v)}
    if isinstance(node, list):
        return {k for item in node for k in keys(item)}
    return set()


# --- offline: amtool and the file itself --------------------------------------------------------


def test_amtool_accepts_the_shipped_config() -> None:
    result = run_tool("amtool", "check-config", ALERTMANAGER_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    for found in ("1 inhibit rules", "3 receivers", "1 templates"):
        assert found in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["alertname=ResidencyAcgmeViolationActive", "severity=critical"], "pagerduty"),
        (["alertname=ResidencyFailedSignInSpike", "severity=warning"], "slack"),
        (["alertname=ResidencyCacheHitRatioLow", "severity=info"], "default"),
        (["alertname=SomethingElse", "severity=page"], "default"),
        (["alertname=NoSeverity"], "default"),
    ],
)
def test_amtool_routes_by_severity(labels: list[str], expected: str) -> None:
    result = run_tool(
        "amtool",
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={expected}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [expected]


def test_every_severity_of_the_alert_rules_has_its_route() -> None:
    from app.core.metrics.alerts import AlertRule, get_all_alert_rules

    used = {rule.severity for rule in get_all_alert_rules() if isinstance(rule, AlertRule)}
    assert used <= {"critical", "warning", "info"}, used  # info (and any other) -> default


def test_grouping_and_timing_are_the_guides() -> None:
    loaded = config()
    assert loaded["global"]["resolve_timeout"] == "5m"
    route = loaded["route"]
    assert route["group_by"] == ["alertname", "severity"]
    assert (route["group_wait"], route["group_interval"]) == ("10s", "10s")
    assert route["repeat_interval"] == "12h"
    assert route["receiver"] == "default"
    assert [(r["matchers"], r["receiver"]) for r in route["routes"]] == [
        (['severity="critical"'], "pagerduty"),
        (['severity="warning"'], "slack"),
    ]
    assert not keys(loaded) & {"match", "match_re", "source_match", "target_match"}


def test_a_critical_alert_inhibits_the_warning_of_the_same_name() -> None:
    (rule,) = config()["inhibit_rules"]
    assert rule == {
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity="warning"'],
        "equal": ["alertname"],
    }


def test_secrets_are_read_from_files_under_etc_alertmanager_secrets() -> None:
    loaded = config()
    assert not keys(loaded) & INLINE_SECRETS
    settings = dict(file_settings(loaded))
    assert settings == {where: SECRETS_DIR + name for name, where in SECRET_FILES.items()}
    documented = DOCS.read_text()
    for path in settings.values():
        assert path in documented, f"{path} is not described in {DOCS.name}"


def test_pagerduty_uses_events_api_v2_whose_url_can_be_overridden() -> None:
    (pagerduty,) = receiver("pagerduty")["pagerduty_configs"]
    assert pagerduty["routing_key_file"].startswith(SECRETS_DIR)
    assert pagerduty["url"] == "https://events.pagerduty.com/v2/enqueue"


def test_every_receiver_sends_resolved_notifications() -> None:
    for entry in config()["receivers"]:
        integrations = [i for key, value in entry.items() if key != "name" for i in value]
        assert integrations, entry["name"]
        assert all(i.get("send_resolved") is True for i in integrations), entry


def test_the_templates_the_config_uses_are_defined() -> None:
    loaded = config()
    assert loaded["templates"] == ["templates/*.tmpl"]  # relative to alertmanager.yml
    sources = "".join(p.read_text() for p in sorted(ALERTMANAGER_TEMPLATES.glob("*.tmpl")))
    defined = set(re.findall(r'{{\s*define\s+"([^"]+)"', sources))
    used = set(re.findall(r'template\s+"([^"]+)"', ALERTMANAGER_CONFIG.read_text()))
    assert used and used <= defined, used - defined


def data(status: str) -> dict[str, Any]:
    """Template data (Alertmanager's ``template.Data``) for one spike alert."""
    labels = {"alertname": "ResidencyFailedSignInSpike", "severity": "warning"}
    annotations = {
        "summary": "Many failed sign-ins",
        "description": "42 failed sign-ins in 5 minutes (threshold 20).",
        "runbook_url": "https://runbooks.example.com/alerts.md#residencyfailedsigninspike",
    }
    ends = "0001-01-01T00:00:00Z" if status == "firing" else "2026-07-01T10:30:00Z"
    alert = {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": "2026-07-01T10:00:00Z",
        "endsAt": ends,
    }
    return {
        "receiver": "slack",
        "status": status,
        "alerts": [alert],
        "groupLabels": labels,
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "http://alertmanager:9093",
    }


@pytest.mark.parametrize(
    ("status", "title", "state"),
    [
        ("firing", "[FIRING:1] ResidencyFailedSignInSpike warning", "FIRING"),
        ("resolved", "[RESOLVED] ResidencyFailedSignInSpike warning", "RESOLVED"),
    ],
)
def test_templates_render_title_and_body(
    tmp_path: Path, status: str, title: str, state: str
) -> None:
    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps(data(status)))

    def render(name: str) -> str:
        result = run_tool(
            "amtool",
            "template",
            "render",
            f"--template.glob={ALERTMANAGER_TEMPLATES}/*.tmpl",
            f"--template.data={data_file}",
            f'--template.text={{{{ template "{name}" . }}}}',
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    runbook = "https://runbooks.example.com/alerts.md#residencyfailedsigninspike"
    assert render("residency.title") == title
    assert render("residency.slack.text") == (
        f"*{state}: Many failed sign-ins*\n"
        "42 failed sign-ins in 5 minutes (threshold 20).\n"
        f"<{runbook}|Runbook>"
    )
    text = render("residency.text")
    assert text.startswith(
        f"{state}: Many failed sign-ins\n"
        "42 failed sign-ins in 5 minutes (threshold 20).\n"
        f"Runbook: {runbook}\n"
        "Since: 2026-07-01 10:00:00 UTC"
    )
    assert render("residency.runbook_url") == runbook


# --- a real Alertmanager ------------------------------------------------------------------------


def post_alerts(
    alertmanager: AlertmanagerServer, alerts: list[dict[str, str]], *, end: bool
) -> None:
    now = datetime.now(UTC)
    ends = now if end else now + timedelta(minutes=10)
    body = [
        {
            "labels": labels,
            "annotations": {
                "summary": f"{labels['alertname']} summary",
                "description": f"{labels['alertname']} is {labels['severity']}: value 7",
                "runbook_url": f"https://runbooks.example.com/#{labels['alertname'].lower()}",
            },
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
            "endsAt": ends.isoformat(),
        }
        for labels in alerts
    ]
    response = alertmanager.http.post(f"{alertmanager.url}/api/v2/alerts", json=body)
    response.raise_for_status()


def slack_titles(request: Received) -> list[str]:
    return [a["title"] for a in request.json["attachments"]]


def test_a_running_alertmanager_inhibits_routes_and_mails(tmp_path: Path) -> None:
    twin = {"alertname": "ResidencyTwin"}
    critical, muted = {**twin, "severity": "critical"}, {**twin, "severity": "warning"}
    warning = {"alertname": "ResidencyOther", "severity": "warning"}
    info = {"alertname": "ResidencyNote", "severity": "info"}
    with (
        recording_receiver(status=202, content_type="application/json") as pagerduty,
        recording_receiver() as slack,
        smtp_server() as relay,
    ):
        config_yaml = alertmanager_config_for_test(
            secrets_dir=tmp_path / "secrets",
            secrets={
                "pagerduty-routing-key": "routing-key-from-file\n",  # trimmed too
                "slack-webhook-url": slack.url + "/hook\n",  # trailing newline is trimmed
                "smtp-password": "smtp-password-from-file",
            },
            pagerduty_url=pagerduty.url + "/v2/enqueue",
            smtp_smarthost=relay.address,
        )
        with alertmanager_server(config_yaml) as alertmanager:
            post_alerts(alertmanager, [critical, muted, warning, info], end=False)

            page = pagerduty.wait_for(lambda r: "ResidencyTwin" in r.body.decode(), "page")
            assert page.json["routing_key"] == "routing-key-from-file"
            assert page.json["payload"]["severity"] == "critical"
            post = slack.wait_for(lambda r: r.path == "/hook", "Slack post")
            assert slack_titles(post) == ["[FIRING:1] ResidencyOther warning"]
            mail = relay.wait_for(lambda m: "ResidencyNote" in m.message["Subject"], "e-mail")
            assert mail.message["Subject"] == "[FIRING:1] ResidencyNote info"
            assert mail.recipients == ("alerts@example.com",)
            assert (mail.username, mail.password) == (
                "alertmanager@example.com",
                "smtp-password-from-file",
            )
            assert "ResidencyNote is info: value 7" in mail.text()
            assert "Runbook: https://runbooks.example.com/#residencynote" in mail.text()

            by_name = {
                (a["labels"]["alertname"], a["labels"]["severity"]): a
                for a in alertmanager.alerts()
            }
            twin_warning = by_name["ResidencyTwin", "warning"]["status"]
            assert twin_warning["state"] == "suppressed"
            assert twin_warning["inhibitedBy"], twin_warning
            assert by_name["ResidencyOther", "warning"]["status"]["state"] == "active"
            receivers = {key: [r["name"] for r in a["receivers"]] for key, a in by_name.items()}
            assert receivers == {
                ("ResidencyTwin", "critical"): ["pagerduty"],
                ("ResidencyTwin", "warning"): ["slack"],
                ("ResidencyOther", "warning"): ["slack"],
                ("ResidencyNote", "info"): ["default"],
            }

            post_alerts(alertmanager, [critical, muted, warning, info], end=True)
            relay.wait_for(
                lambda m: m.message["Subject"] == "[RESOLVED] ResidencyNote info", "resolved"
            )
            slack.wait_for(
                lambda r: slack_titles(r) == ["[RESOLVED] ResidencyOther warning"], "resolved"
            )
            pagerduty.wait_for(lambda r: r.json["event_action"] == "resolve", "resolved page")

    assert not [r for r in slack.received if "ResidencyTwin" in r.body.decode()]
    assert [m.message["Subject"] for m in relay.mails] == [
        "[FIRING:1] ResidencyNote info",
        "[RESOLVED] ResidencyNote info",
    ]


def test_the_smtp_password_file_is_sent_as_written(tmp_path: Path) -> None:
    """Alertmanager 0.25 trims the PagerDuty and Slack files but not the SMTP password file:
    a trailing newline becomes part of the password (docs/observability.md says to write
    the files without one)."""
    with smtp_server() as relay:
        config_yaml = alertmanager_config_for_test(
            secrets_dir=tmp_path / "secrets",
            secrets={"smtp-password": "with-newline\n"},
            pagerduty_url="http://127.0.0.1:1/v2/enqueue",
            smtp_smarthost=relay.address,
        )
        with alertmanager_server(config_yaml) as alertmanager:
            post_alerts(alertmanager, [{"alertname": "X", "severity": "info"}], end=False)
            mail = relay.wait_for(lambda m: True, "e-mail")
    assert mail.password == "with-newline\n"

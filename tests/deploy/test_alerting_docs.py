"""The commands of docs/observability.md's "Setup: Alerting" run as written.

Shell blocks run with ``bash``; the export writes into a copy of ``deploy/`` so the repository
stays clean. The only edits are addresses: the secret files go to a temporary directory instead
of ``/etc/alertmanager/secrets``, and the test alert goes to a real local Alertmanager instead of
``localhost:9093``. ``docker`` blocks cannot run here: their mounted paths must exist.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.alerting import SECRETS_DIR, alertmanager_config_for_test, run_tool, tool
from tests.support.receivers import recording_receiver
from tests.support.servers import alertmanager_server

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "observability.md"
SECRETS = SECRETS_DIR.rstrip("/")


def section() -> str:
    text = DOCS.read_text()
    start = text.index("\n## Setup: Alerting\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.DOTALL)


def block(first_word: str) -> str:
    (found,) = [b for b in blocks("bash") if b.startswith(first_word)]
    return found


def inline(prefix: str) -> list[str]:
    return [c for c in re.findall(r"`([^`\n]+)`", section()) if c.startswith(prefix)]


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the repository's ``deploy/`` directory, as the commands' working directory,
    with the repository's ``.venv`` (the commands run ``.venv/bin/residency-scheduler``)."""
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def test_export_and_check_the_rules(checkout: Path) -> None:
    tool("promtool")
    script = block(".venv/bin/residency-scheduler alerts export")
    result = bash(script, checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (checkout / "deploy" / "prometheus" / "alerts.yml").is_file()
    assert "SUCCESS" in result.stdout


def test_export_with_a_runbook_base(checkout: Path) -> None:
    (command,) = inline("residency-scheduler alerts export deploy/prometheus/alerts.yml --")
    result = bash(command, checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    base = command.split("--runbook-base ", 1)[1]
    rules = (checkout / "deploy" / "prometheus" / "alerts.yml").read_text()
    assert f"runbook_url: {base}#residencyacgmeviolationactive" in rules


def test_a_local_copy_of_the_prometheus_config_with_its_rules(checkout: Path) -> None:
    (command,) = inline("sed -e ")
    result = bash(command, checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    copied = (checkout / "prometheus.yml").read_text()
    assert "127.0.0.1:8000" in copied and "127.0.0.1:9093" in copied
    check = run_tool("promtool", "check", "config", checkout / "prometheus.yml")
    assert check.returncode == 0, check.stdout + check.stderr


def test_secret_files_are_written_without_a_newline(tmp_path: Path) -> None:
    script = block("mkdir -p /etc/alertmanager/secrets")
    secrets = tmp_path / "secrets"
    result = bash(script.replace(SECRETS, str(secrets)), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    written = {p.name: p.read_text() for p in secrets.iterdir()}
    assert set(written) == {"pagerduty-routing-key", "slack-webhook-url", "smtp-password"}
    assert not any(value.endswith("\n") for value in written.values())
    assert written["slack-webhook-url"].startswith("https://hooks.slack.com/services/")


def test_amtool_commands_check_and_route(checkout: Path) -> None:
    tool("amtool")
    receivers = []
    for line in block("amtool check-config").splitlines():
        result = bash(line, ROOT)
        assert result.returncode == 0, f"{line}\n{result.stdout}{result.stderr}"
        if " routes test " in line:
            receivers.append(result.stdout.strip())
    assert receivers == ["pagerduty", "slack", "default"]


def test_the_test_alert_reaches_slack(tmp_path: Path) -> None:
    tool("amtool")
    (command,) = [line for line in blocks("bash") if line.startswith("amtool alert add")]
    with recording_receiver() as slack:
        config = alertmanager_config_for_test(
            secrets_dir=tmp_path / "secrets",
            secrets={"slack-webhook-url": slack.url + "/hook"},
            pagerduty_url="http://127.0.0.1:1/v2/enqueue",
        )
        with alertmanager_server(config) as alertmanager:
            assert "http://localhost:9093" in command
            result = bash(command.replace("http://localhost:9093", alertmanager.url), tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            post = slack.wait_for(lambda r: "ResidencyTestAlert" in r.body.decode(), "test alert")
    (attachment,) = post.json["attachments"]
    assert attachment["title"] == "[FIRING:1] ResidencyTestAlert warning"
    assert "Test alert" in attachment["text"]
    assert "Sent by hand with amtool" in attachment["text"]


def test_docker_mounts_exist() -> None:
    docker = [b for b in blocks("bash") if "docker run" in b]
    assert len(docker) == 2  # Prometheus with the rules, Alertmanager
    for script in docker:
        for source in re.findall(r"-v \$\(pwd\)/([^:]+):", script):
            assert (ROOT / source).exists(), source
    assert "-v $(pwd)/deploy/prometheus:/etc/prometheus" in docker[0]
    assert f"-v {SECRETS}:{SECRETS}:ro" in docker[1]


def test_the_routing_shown_is_the_shipped_one() -> None:
    import yaml

    (shown,) = [b for b in blocks("yaml") if b.startswith("route:")]
    shipped = yaml.safe_load((ROOT / "deploy" / "alertmanager" / "alertmanager.yml").read_text())
    documented = yaml.safe_load(shown)
    assert documented["route"] == shipped["route"]
    assert documented["inhibit_rules"] == shipped["inhibit_rules"]
    (alerting,) = [b for b in blocks("yaml") if b.startswith("rule_files:")]
    shipped_prometheus = yaml.safe_load(
        (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text()
    )
    for key, value in yaml.safe_load(alerting).items():
        assert shipped_prometheus[key] == value

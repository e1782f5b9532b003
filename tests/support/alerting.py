"""The shipped alerting configuration, and copies of it that run against local servers.

``deploy/alertmanager/alertmanager.yml`` reads its secrets from files under
``/etc/alertmanager/secrets/`` and sends to PagerDuty, Slack and an SMTP server;
:func:`alertmanager_config_for_test` rewrites a copy so that the secret files live in a
temporary directory, PagerDuty and Slack are local receivers, templates are the repository's
and the timings are short.  :func:`prometheus_config_for_test` does the same for
``deploy/prometheus/prometheus.yml``: the app and Alertmanager on local ports, 1 s intervals.
:func:`tool` finds ``amtool``/``promtool`` under the skip-locally / fail-in-CI policy.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.support.fixtures import component_unavailable, require_component
from tests.support.servers import Component, ComponentUnavailable

__all__ = [
    "ALERTMANAGER_CONFIG",
    "ALERTMANAGER_TEMPLATES",
    "PROMETHEUS_CONFIG",
    "SECRETS_DIR",
    "alertmanager_config_for_test",
    "file_settings",
    "prometheus_config_for_test",
    "run_tool",
    "tool",
]

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER_DIR = ROOT / "deploy" / "alertmanager"
ALERTMANAGER_CONFIG = ALERTMANAGER_DIR / "alertmanager.yml"
ALERTMANAGER_TEMPLATES = ALERTMANAGER_DIR / "templates"
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
SECRETS_DIR = "/etc/alertmanager/secrets/"

_TOOLS: dict[str, Component] = {"amtool": "alertmanager", "promtool": "prometheus"}


def tool(name: str) -> str:
    """Path of ``amtool`` or ``promtool``; skips locally (fails under ``CI=true``) without it."""
    require_component(_TOOLS[name])
    found = shutil.which(name)
    if found is None:
        component_unavailable(ComponentUnavailable(_TOOLS[name], f"{name} not found on PATH"))
    return found


def run_tool(
    name: str, *args: str | Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``amtool``/``promtool`` with ``args``; the caller asserts on the exit code."""
    return subprocess.run(
        [tool(name), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=60,
    )


def file_settings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(where, value)`` of a ``*_file`` setting anywhere in a parsed config."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).endswith("_file") and isinstance(value, str):
                yield where, value
            else:
                yield from file_settings(value, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from file_settings(item, f"{path}[{index}]")


def _rewrite_secret_paths(node: Any, secrets_dir: Path) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).endswith("_file") and isinstance(value, str):
                if value.startswith(SECRETS_DIR):
                    node[key] = str(secrets_dir / value.removeprefix(SECRETS_DIR))
            else:
                _rewrite_secret_paths(value, secrets_dir)
    elif isinstance(node, list):
        for item in node:
            _rewrite_secret_paths(item, secrets_dir)


def _receiver(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    receiver: dict[str, Any] = next(r for r in config["receivers"] if r["name"] == name)
    return receiver


def alertmanager_config_for_test(
    *,
    secrets_dir: Path,
    secrets: Mapping[str, str],
    pagerduty_url: str,
    group_wait: str = "1s",
    group_interval: str = "1s",
    resolve_timeout: str = "10s",
    smtp_smarthost: str = "127.0.0.1:1",
) -> str:
    """The shipped Alertmanager config, changed only where a test must change it.

    ``secrets`` maps file names under ``/etc/alertmanager/secrets/`` to their contents; they
    are written as given (no newline added) to ``secrets_dir`` and every ``*_file`` setting is
    pointed there (so the Slack webhook URL is whatever ``secrets["slack-webhook-url"]`` says).
    PagerDuty posts to ``pagerduty_url``; templates are the repository's; e-mail goes to
    ``smtp_smarthost``.
    """
    config: dict[str, Any] = copy.deepcopy(yaml.safe_load(ALERTMANAGER_CONFIG.read_text()))
    secrets_dir.mkdir(parents=True, exist_ok=True)
    for name, content in secrets.items():
        (secrets_dir / name).write_text(content)
    _rewrite_secret_paths(config, secrets_dir)
    config["templates"] = [
        str((ALERTMANAGER_DIR / pattern).resolve()) for pattern in config["templates"]
    ]
    config["global"]["resolve_timeout"] = resolve_timeout
    config["global"]["smtp_smarthost"] = smtp_smarthost
    config["global"]["smtp_require_tls"] = False
    config["route"]["group_wait"] = group_wait
    config["route"]["group_interval"] = group_interval
    for pagerduty in _receiver(config, "pagerduty")["pagerduty_configs"]:
        pagerduty["url"] = pagerduty_url
    return yaml.safe_dump(config, sort_keys=False)


def prometheus_config_for_test(
    *, app: str, alertmanager: str, interval: str = "1s", rule_files: tuple[str, ...] = ()
) -> str:
    """The shipped Prometheus config scraping ``app`` (HOST:PORT) every ``interval``,
    evaluating rules as often and alerting ``alertmanager`` (HOST:PORT); jobs other than the
    app's are dropped. ``rule_files`` replaces the shipped list when given."""
    config: dict[str, Any] = copy.deepcopy(yaml.safe_load(PROMETHEUS_CONFIG.read_text()))
    config["global"].update(
        scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval
    )
    if rule_files:
        config["rule_files"] = list(rule_files)
    config["scrape_configs"] = [
        job for job in config["scrape_configs"] if job["job_name"] == "residency-scheduler"
    ]
    (job,) = config["scrape_configs"]
    job["static_configs"] = [{"targets": [app]}]
    for group in config["alerting"]["alertmanagers"]:
        group["static_configs"] = [{"targets": [alertmanager]}]
    return yaml.safe_dump(config, sort_keys=False)

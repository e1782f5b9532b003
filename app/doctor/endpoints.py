"""Checks over HTTP: the service's ``/metrics``, Prometheus' target and rules, Alertmanager.

Each asks one API with a short timeout and returns one :class:`CheckResult`, never raises.
"""

from __future__ import annotations

from typing import Any

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.core.metrics.alerts import get_all_alert_rules, rule_groups
from app.doctor.result import CheckResult, fail, ok, skip

METRICS = "metrics endpoint"
TARGET = "prometheus target"
RULES = "alert rules"
ALERTMANAGER = "alertmanager"

START_PROMETHEUS = (
    "start Prometheus (deploy/prometheus/prometheus.yml), or pass --prometheus-url with where "
    "it listens"
)


class Unreachable(Exception):
    """An API did not answer, or answered with something other than its JSON ``data``."""


async def _api(client: httpx.AsyncClient, url: str) -> Any:
    try:
        response = await client.get(url)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Unreachable(f"{url}: {_why(exc)}") from None
    return body.get("data", body) if isinstance(body, dict) and "status" in body else body


def _why(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host unknown"
    return type(exc).__name__


async def check_metrics(client: httpx.AsyncClient, app_url: str, token: str | None) -> CheckResult:
    url = f"{app_url.rstrip('/')}/metrics"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return fail(
            METRICS,
            f"cannot reach {url} ({_why(exc)})",
            "start the service (`residency-scheduler serve`), or pass --app-url with where it "
            "listens; check firewall rules between here and there",
        )
    status = response.status_code
    if status in (401, 403):
        fix = (
            "METRICS_TOKEN here is not the service's: use the same value for both (and for "
            "Prometheus' authorization.credentials)"
            if token
            else "the service requires a bearer token: set METRICS_TOKEN to the service's value"
        )
        return fail(METRICS, f"{url} refused the scrape (HTTP {status})", fix)
    if status == 404:
        return fail(METRICS, f"{url} not found (HTTP 404)", "set METRICS_ENABLED=true and restart")
    if not response.is_success:
        return fail(
            METRICS,
            f"{url} answered HTTP {status}",
            "read the service's error log lines for GET /metrics (logger app.access)",
        )
    try:
        families = list(text_string_to_metric_families(response.text))
    except Exception as exc:
        return fail(
            METRICS,
            f"{url} is not the Prometheus text format ({type(exc).__name__})",
            "--app-url must point at the Residency Scheduler itself, not a proxy page",
        )
    samples = sum(len(family.samples) for family in families)
    if not families:
        return fail(METRICS, f"{url} has no metrics", "--app-url must point at the service")
    return ok(METRICS, f"{url}: {len(families)} metric families, {samples} samples")


def _target_fix(target: dict[str, Any]) -> str:
    error = str(target.get("lastError") or "")
    if target.get("health") == "unknown":
        return "Prometheus has not scraped it yet: wait one scrape_interval and run doctor again"
    if "401" in error or "403" in error:
        return (
            "Prometheus' token is not the service's METRICS_TOKEN: set the job's "
            "authorization.credentials (or credentials_file) to it and reload Prometheus"
        )
    return (
        f"Prometheus cannot scrape {target.get('scrapeUrl')}: start the service there, or fix "
        "the job's targets (HOST:PORT as Prometheus sees it, e.g. backend:8000 in Docker) and "
        "firewall rules, then reload Prometheus (POST /-/reload)"
    )


async def check_target(client: httpx.AsyncClient, prometheus_url: str, job: str) -> CheckResult:
    try:
        data = await _api(client, f"{prometheus_url}/api/v1/targets?state=active")
    except Unreachable as exc:
        return fail(TARGET, f"Prometheus unreachable: {exc}", START_PROMETHEUS)
    targets = [t for t in data.get("activeTargets", []) if t.get("labels", {}).get("job") == job]
    if not targets:
        return fail(
            TARGET,
            f"Prometheus has no target for job {job!r}",
            f"add the scrape job of deploy/prometheus/prometheus.yml (job_name: {job}, the "
            "service's HOST:PORT, metrics_path: /metrics) and reload Prometheus",
        )
    for target in targets:
        if target.get("health") != "up":
            error = target.get("lastError") or "none yet"
            return fail(
                TARGET,
                f"{target.get('scrapeUrl')} is {target.get('health')}; last scrape error: {error}",
                _target_fix(target),
            )
    last = targets[0]
    return ok(
        TARGET,
        f"job {job}: {len(targets)} target(s) up; {last.get('scrapeUrl')} last scraped "
        f"{last.get('lastScrape')} in {float(last.get('lastScrapeDuration') or 0):.3f}s, "
        "no scrape error",
    )


def expected_groups() -> list[str]:
    """The groups ``residency-scheduler alerts export`` writes (deploy/prometheus/alerts.yml)."""
    return [group["name"] for group in rule_groups(get_all_alert_rules())["groups"]]


async def check_rules(client: httpx.AsyncClient, prometheus_url: str) -> CheckResult:
    try:
        data = await _api(client, f"{prometheus_url}/api/v1/rules")
    except Unreachable as exc:
        return skip(RULES, f"not checked: Prometheus unreachable ({exc})")
    loaded = {group.get("name"): group for group in data.get("groups", [])}
    missing = [name for name in expected_groups() if name not in loaded]
    if missing:
        return fail(
            RULES,
            f"rule groups not loaded: {', '.join(missing)}",
            "run `residency-scheduler alerts export deploy/prometheus/alerts.yml`, list the file "
            "under rule_files in prometheus.yml, check it with `promtool check rules`, then "
            "reload Prometheus (POST /-/reload)",
        )
    rules = [rule for name in expected_groups() for rule in loaded[name].get("rules", [])]
    broken = [rule for rule in rules if rule.get("health") == "err"]
    if broken:
        first = broken[0]
        return fail(
            RULES,
            f"{len(broken)} rule(s) fail to evaluate, e.g. {first.get('name')}: "
            f"{first.get('lastError')}",
            "re-export the rules from this version (`residency-scheduler alerts export ...`), "
            "check them with `promtool check rules`, and make sure Prometheus scrapes the service",
        )
    return ok(RULES, f"{len(expected_groups())} groups, {len(rules)} rules loaded, none failing")


async def check_alertmanager(
    client: httpx.AsyncClient, alertmanager_url: str, prometheus_url: str
) -> CheckResult:
    try:
        status = await _api(client, f"{alertmanager_url}/api/v2/status")
    except Unreachable as exc:
        return fail(
            ALERTMANAGER,
            f"Alertmanager unreachable: {exc}",
            "start Alertmanager (deploy/alertmanager/alertmanager.yml; check it with `amtool "
            "check-config`), or pass --alertmanager-url with where it listens",
        )
    original = (status.get("config") or {}).get("original") or ""
    try:
        config = yaml.safe_load(original) if original else None
    except yaml.YAMLError:
        config = None
    if not isinstance(config, dict) or "route" not in config:
        return fail(
            ALERTMANAGER,
            "Alertmanager runs without a routing configuration",
            "load deploy/alertmanager/alertmanager.yml (`amtool check-config` first) and reload "
            "Alertmanager (POST /-/reload)",
        )
    receivers = [r.get("name") for r in config.get("receivers", []) if isinstance(r, dict)]
    version = (status.get("versionInfo") or {}).get("version", "?")
    detail = f"version {version}, {len(receivers)} receivers ({', '.join(map(str, receivers))})"
    try:
        senders = await _api(client, f"{prometheus_url}/api/v1/alertmanagers")
    except Unreachable:
        return ok(ALERTMANAGER, detail)
    if not senders.get("activeAlertmanagers"):
        return fail(
            ALERTMANAGER,
            f"{detail}; but Prometheus sends alerts to no Alertmanager",
            "set alerting.alertmanagers in prometheus.yml (e.g. targets: ['alertmanager:9093']) "
            "and reload Prometheus",
        )
    return ok(ALERTMANAGER, f"{detail}; Prometheus sends alerts to it")

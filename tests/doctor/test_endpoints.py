"""The HTTP checks on answers a live stack rarely gives: broken rules, no routes, no scrape yet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from app.doctor.endpoints import (
    check_alertmanager,
    check_metrics,
    check_rules,
    check_target,
    expected_groups,
)

PROMETHEUS = "http://prometheus:9090"
ALERTMANAGER = "http://alertmanager:9093"


def client(answers: dict[str, Any]) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        answer = answers.get(request.url.path)
        if answer is None:
            return httpx.Response(404)
        if isinstance(answer, str):
            return httpx.Response(200, text=answer)
        return httpx.Response(200, json=answer)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def prometheus(data: dict[str, Any]) -> dict[str, Any]:
    return {"status": "success", "data": data}


def groups(health: Callable[[str], str]) -> dict[str, Any]:
    return prometheus(
        {
            "groups": [
                {"name": name, "rules": [{"name": f"{name}-rule", "health": health(name)}]}
                for name in expected_groups()
            ]
        }
    )


async def test_rules_missing_a_group_fail_with_the_export_command() -> None:
    answer = groups(lambda name: "ok")
    answer["data"]["groups"].pop()
    async with client({"/api/v1/rules": answer}) as c:
        result = await check_rules(c, PROMETHEUS)
    assert result.status == "fail" and expected_groups()[-1] in result.detail
    assert "residency-scheduler alerts export" in result.fix


async def test_rules_that_fail_to_evaluate_fail_with_their_error() -> None:
    answer = groups(lambda name: "err")
    answer["data"]["groups"][0]["rules"][0]["lastError"] = "many-to-many matching not allowed"
    async with client({"/api/v1/rules": answer}) as c:
        result = await check_rules(c, PROMETHEUS)
    assert result.status == "fail" and "many-to-many" in result.detail
    assert "promtool check rules" in result.fix


async def test_rules_not_yet_evaluated_are_fine() -> None:
    async with client({"/api/v1/rules": groups(lambda name: "unknown")}) as c:
        assert (await check_rules(c, PROMETHEUS)).status == "ok"


async def test_a_target_not_scraped_yet_says_to_wait() -> None:
    target = {"labels": {"job": "residency-scheduler"}, "health": "unknown", "lastError": ""}
    answer = prometheus({"activeTargets": [target]})
    async with client({"/api/v1/targets": answer}) as c:
        result = await check_target(c, PROMETHEUS, "residency-scheduler")
    assert result.status == "fail" and "scrape_interval" in result.fix


async def test_alertmanager_without_routes_fails() -> None:
    status = {"config": {"original": "global: {}\n"}, "versionInfo": {"version": "0.25"}}
    async with client({"/api/v2/status": status}) as c:
        result = await check_alertmanager(c, ALERTMANAGER, PROMETHEUS)
    assert result.status == "fail" and "amtool check-config" in result.fix


async def test_prometheus_sending_to_no_alertmanager_fails() -> None:
    status = {"config": {"original": "route: {receiver: a}\nreceivers: [{name: a}]\n"}}
    answers = {
        "/api/v2/status": status,
        "/api/v1/alertmanagers": prometheus({"activeAlertmanagers": []}),
    }
    async with client(answers) as c:
        result = await check_alertmanager(c, ALERTMANAGER, PROMETHEUS)
    assert result.status == "fail" and "alerting.alertmanagers" in result.fix


async def test_metrics_that_are_not_the_text_format_fail() -> None:
    async with client({"/metrics": "<html><body>login</body></html>\n{{{"}) as c:
        result = await check_metrics(c, "http://app:8000", None)
    assert result.status == "fail"


async def test_metrics_switched_off_fail_with_the_setting() -> None:
    async with client({}) as c:
        result = await check_metrics(c, "http://app:8000", None)
    assert result.status == "fail" and "METRICS_ENABLED=true" in result.fix

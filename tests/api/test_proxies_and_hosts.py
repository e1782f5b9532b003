"""Who the client is (TRUSTED_PROXIES), which Host names are served (TRUSTED_HOSTS), and the
API docs (API_DOCS): decided by the app itself, from its settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request

from app.auth.api import client_ip
from app.core.config import Settings, SettingsError, load_settings
from app.core.logging.testing import capture_logs
from app.db.migrate import upgrade_database
from app.main import create_app
from tests.support.api import API, api_client, build_app
from tests.support.lifespan import serving

SECRET = "0123456789abcdefghijklmnopqrstuvwxyz"
FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def with_whoami(app: FastAPI) -> FastAPI:
    """Add a route answering what the sign-in rate limit and lockout take as the client."""

    async def whoami(request: Request) -> dict[str, str]:
        return {"ip": client_ip(request), "scheme": request.url.scheme}

    app.add_api_route("/whoami", whoami)
    return app


async def whoami(app: FastAPI, peer: str, headers: dict[str, str]) -> dict[str, str]:
    async with serving(app), api_client(app, headers, ip=peer) as client:
        response = await client.get("/whoami")
    assert response.status_code == 200, response.text
    result: dict[str, str] = response.json()
    return result


# --- TRUSTED_PROXIES -----------------------------------------------------------------------


async def test_forwarded_headers_are_ignored_by_default(tmp_path: Path) -> None:
    app = with_whoami(await build_app(tmp_path, metrics_enabled=False))
    # Loopback included: a local client cannot choose its own address.
    for peer in ("127.0.0.1", "::1", "198.51.100.20"):
        assert await whoami(app, peer, FORWARDED) == {"ip": peer, "scheme": "http"}


async def test_forwarded_headers_are_honoured_from_a_configured_proxy_only(
    tmp_path: Path,
) -> None:
    app = with_whoami(
        await build_app(tmp_path, metrics_enabled=False, trusted_proxies="10.0.0.0/8,192.0.2.1")
    )
    assert await whoami(app, "10.1.2.3", FORWARDED) == {"ip": "203.0.113.9", "scheme": "https"}
    assert await whoami(app, "192.0.2.1", FORWARDED) == {"ip": "203.0.113.9", "scheme": "https"}
    # A chain: the nearest address that is not a trusted proxy is the client.
    chain = {"X-Forwarded-For": "1.1.1.1, 198.51.100.7, 10.0.0.2"}
    assert (await whoami(app, "10.1.2.3", chain))["ip"] == "198.51.100.7"
    # Anyone else, loopback included, is its own socket address.
    for peer in ("127.0.0.1", "192.0.2.2"):
        assert await whoami(app, peer, FORWARDED) == {"ip": peer, "scheme": "http"}


async def _login_statuses(app: FastAPI, peer: str, attempts: int) -> list[int]:
    statuses = []
    async with serving(app), api_client(app, ip=peer) as client:
        for number in range(attempts):
            response = await client.post(
                f"{API}/auth/login",
                json={"username": "nobody", "password": "wrong password 123"},
                headers={"X-Forwarded-For": f"203.0.113.{number + 1}"},
            )
            statuses.append(response.status_code)
    return statuses


async def test_the_login_rate_limit_counts_the_socket_peer(tmp_path: Path) -> None:
    app = await build_app(tmp_path, rate_limit_login="2/minute")
    # A new X-Forwarded-For on each attempt buys nothing.
    assert (await _login_statuses(app, "127.0.0.1", 3))[-1] == 429


async def test_the_login_rate_limit_counts_forwarded_clients_behind_a_proxy(
    tmp_path: Path,
) -> None:
    app = await build_app(tmp_path, rate_limit_login="2/minute", trusted_proxies="10.0.0.1")
    assert 429 not in await _login_statuses(app, "10.0.0.1", 3)  # three clients, one each


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TRUSTED_PROXIES", "localhost", "TRUSTED_PROXIES: 'localhost' is not an IP address"),
        ("TRUSTED_PROXIES", "10.0.0.1,*", "TRUSTED_PROXIES: '*' is not an IP address"),
        ("TRUSTED_PROXIES", "10.0.0.1/8", "TRUSTED_PROXIES: '10.0.0.1/8' is not an IP address"),
        ("TRUSTED_HOSTS", "https://example.org", "TRUSTED_HOSTS: 'https://example.org' is not"),
        ("TRUSTED_HOSTS", "example.org:443", "TRUSTED_HOSTS: 'example.org:443' is not"),
        ("TRUSTED_HOSTS", "a.*.example.org", "TRUSTED_HOSTS: 'a.*.example.org' is not"),
    ],
)
def test_a_bad_entry_is_a_settings_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="invalid configuration") as error:
        load_settings()
    assert message in str(error.value)


def test_good_entries_are_read_as_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", " 10.0.0.5, 192.168.0.0/16 ,::1")
    monkeypatch.setenv("TRUSTED_HOSTS", "Scheduler.Example.org, *.example.org,[::1]")
    settings = load_settings()
    assert settings.trusted_proxy_list == ["10.0.0.5", "192.168.0.0/16", "::1"]
    assert settings.trusted_host_list == ["scheduler.example.org", "*.example.org", "[::1]"]
    monkeypatch.setenv("TRUSTED_PROXIES", "")
    monkeypatch.setenv("TRUSTED_HOSTS", "")
    settings = load_settings()
    assert (settings.trusted_proxy_list, settings.trusted_host_list) == ([], ["*"])


# --- TRUSTED_HOSTS -------------------------------------------------------------------------


async def test_an_untrusted_host_gets_400_and_is_never_reflected(tmp_path: Path) -> None:
    app = await build_app(tmp_path, trusted_hosts="scheduler.example.org")
    async with serving(app), api_client(app) as client:
        evil = await client.get(f"{API}/people/", headers={"Host": "evil.example"})
        good = await client.get(f"{API}/people/", headers={"Host": "scheduler.example.org"})
        probe = await client.get("/health", headers={"Host": "10.1.2.3:8000"})
    assert evil.status_code == 400
    assert "evil" not in evil.text
    assert not any("evil" in value for value in evil.headers.values())
    # The trailing-slash redirect is built from a Host that was checked.
    assert good.status_code == 307
    assert good.headers["location"] == f"http://scheduler.example.org{API}/people"
    assert probe.status_code == 200  # probes and scrapers address a replica by its IP


async def test_a_refused_host_is_logged_and_counted(tmp_path: Path) -> None:
    app = await build_app(tmp_path, trusted_hosts="scheduler.example.org")
    async with serving(app), api_client(app) as client:
        with capture_logs() as lines:
            refused = await client.get(f"{API}/people", headers={"Host": "evil.example"})
        metrics = await client.get("/metrics")
    assert refused.status_code == 400
    assert "x-request-id" in refused.headers
    assert [line["status"] for line in lines.find(event="request")] == [400]
    counted = [
        line
        for line in metrics.text.splitlines()
        if line.startswith("http_requests_total{") and 'status="400"' in line
    ]
    assert counted and counted[0].endswith(" 1.0"), metrics.text


def test_production_requires_trusted_hosts() -> None:
    with pytest.raises(ValueError, match="trusted_hosts"):
        Settings(environment="production", jwt_secret=SECRET)
    assert Settings(environment="production", jwt_secret=SECRET, trusted_hosts="*")
    assert Settings(environment="development").trusted_host_list == ["*"]


# --- API_DOCS ------------------------------------------------------------------------------

DOCS = ("/docs", "/redoc", "/openapi.json")


async def _docs_statuses(tmp_path: Path, **settings: Any) -> list[int]:
    url = f"sqlite+aiosqlite:///{tmp_path}/app.db"
    await upgrade_database(url)
    app = create_app(Settings(database_url=url, jwt_secret=SECRET, **settings))
    async with serving(app), api_client(app) as client:
        return [(await client.get(path)).status_code for path in DOCS]


async def test_api_docs_are_off_in_production(tmp_path: Path) -> None:
    statuses = await _docs_statuses(tmp_path, environment="production", trusted_hosts="*")
    assert statuses == [404, 404, 404]


async def test_api_docs_are_on_in_development(tmp_path: Path) -> None:
    assert await _docs_statuses(tmp_path, environment="development") == [200, 200, 200]


async def test_api_docs_can_be_switched_on_in_production(tmp_path: Path) -> None:
    statuses = await _docs_statuses(
        tmp_path, environment="production", trusted_hosts="testserver", api_docs=True
    )
    assert statuses == [200, 200, 200]


async def test_api_docs_can_be_switched_off_in_development(tmp_path: Path) -> None:
    assert await _docs_statuses(tmp_path, environment="development", api_docs=False) == [
        404,
        404,
        404,
    ]

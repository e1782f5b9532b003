from __future__ import annotations

import pytest

from app.core.config import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults_run_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
    ],
)
def test_database_urls_get_the_async_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().database_url == used


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("PORT", "eighty", "PORT"),
        ("PORT", "70000", "PORT"),
        ("REDIS_URL", "http://cache", "REDIS_URL"),
        ("ENVIRONMENT", "staging", "ENVIRONMENT"),
    ],
)
def test_bad_values_are_rejected_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=named):
        load_settings()

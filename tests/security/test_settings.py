"""Security settings: production refuses to start without a strong signing key."""

from __future__ import annotations

import logging

import pytest

from app.core.config import Settings, SettingsError, load_settings
from app.services import build_services

STRONG = "9f2c1e7a4b8d0f3e6a5c2b9d8e7f1a0c"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET", "ENVIRONMENT", "RATE_LIMIT_LOGIN", "RATE_LIMIT_API"):
        monkeypatch.delenv(name, raising=False)


def test_production_requires_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="JWT_SECRET: required when ENVIRONMENT=production"):
        load_settings()
    monkeypatch.setenv("JWT_SECRET", "")
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings()
    monkeypatch.setenv("JWT_SECRET", STRONG)
    monkeypatch.setenv("TRUSTED_HOSTS", "scheduler.example.org")  # production needs it too
    assert load_settings().jwt_secret is not None


@pytest.mark.parametrize("weak", ["secret", "changeme", "a" * 40, "0123456789" * 2])
def test_weak_secrets_are_refused_everywhere(monkeypatch: pytest.MonkeyPatch, weak: str) -> None:
    monkeypatch.setenv("JWT_SECRET", weak)
    with pytest.raises(SettingsError, match="JWT_SECRET: must be at least 32 random characters"):
        load_settings()


def test_secret_never_shows_in_repr() -> None:
    settings = Settings(jwt_secret=STRONG)
    assert STRONG not in repr(settings) and STRONG not in str(settings.model_dump())


def test_development_gets_an_ephemeral_key_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(environment="development", database_url="sqlite:////tmp/unused.db")
    with caplog.at_level(logging.WARNING, logger="app.services"):
        first = build_services(settings)
        second = build_services(settings)
    assert any("JWT_SECRET is not set" in r.getMessage() for r in caplog.records)
    assert first.tokens._secret != second.tokens._secret
    configured = build_services(
        Settings(jwt_secret=STRONG, database_url="sqlite:////tmp/unused.db")
    )
    assert configured.tokens._secret == STRONG


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCESS_TOKEN_MINUTES", "0"),
        ("REFRESH_TOKEN_DAYS", "365"),
        ("LOCKOUT_THRESHOLD", "0"),
        ("SUSPICIOUS_EXPORTS_PER_HOUR", "0"),
        ("ACTIVE_USERS_WINDOW_SECONDS", "1"),
    ],
)
def test_bounds_name_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()

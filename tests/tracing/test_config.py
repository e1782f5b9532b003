"""TracingConfig: defaults, validation messages, endpoints, and the environment."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from app import __version__
from app.core.config import Settings, SettingsError, load_settings
from app.core.otlp_endpoints import OtlpTarget, resolve_jaeger, resolve_otlp
from app.tracing import TracingConfig, TracingConfigError
from app.tracing.exporters import plan_exporters


def test_every_field_has_a_default() -> None:
    config = TracingConfig()
    assert config.service_name == "residency-scheduler"
    assert config.service_version == __version__
    assert config.sample_rate == 1.0
    assert config.otlp_endpoint is None and config.jaeger_endpoint is None
    assert TracingConfig(sample_rate=0.1).sample_rate == 0.1


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan"), "0.5", True, None])
def test_sample_rate_outside_zero_to_one_is_rejected(rate: object) -> None:
    with pytest.raises(TracingConfigError) as caught:
        TracingConfig(sample_rate=rate)  # type: ignore[arg-type]
    assert str(caught.value).startswith("TracingConfig.sample_rate: must be a number from 0 to 1")
    assert isinstance(caught.value, SettingsError)  # the CLI reports it like any bad setting


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("ftp://collector:4317", "unsupported scheme 'ftp'"),
        ("http://collector:99999", "invalid port"),
        ("http://collector:http", "invalid port"),
        ("http://", "no host"),
        ("", "empty endpoint"),
        ("http://user:pw@collector:4318", "must not carry credentials"),
        ("http://collector:4318/v1/traces?token=x", "must not carry credentials, a query"),
    ],
)
def test_malformed_endpoints_name_the_field(endpoint: str, reason: str) -> None:
    for field in ("otlp_endpoint", "jaeger_endpoint"):
        with pytest.raises(TracingConfigError) as caught:
            TracingConfig(**{field: endpoint})
        assert caught.value.field == f"TracingConfig.{field}"
        assert reason in str(caught.value)
        assert "expected" in str(caught.value) or "must not" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("otlp_protocol", "http/json"),
        ("max_queue_size", 0),
        ("export_timeout", 0),
        ("service_name", " "),
    ],
)
def test_other_fields_are_validated(field: str, value: object) -> None:
    with pytest.raises(TracingConfigError, match=f"TracingConfig.{field}"):
        TracingConfig(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("endpoint", "target"),
    [
        ("http://localhost:4317", OtlpTarget("grpc", "localhost:4317")),
        ("localhost:4317", OtlpTarget("grpc", "localhost:4317")),
        ("grpc://collector:9000", OtlpTarget("grpc", "collector:9000")),
        ("https://collector:4317", OtlpTarget("grpc", "collector:4317", insecure=False)),
        ("collector:4318", OtlpTarget("http/protobuf", "http://collector:4318/v1/traces")),
        ("http://collector:4318", OtlpTarget("http/protobuf", "http://collector:4318/v1/traces")),
        ("https://otel.example.org", OtlpTarget("http/protobuf", "https://otel.example.org:4318/v1/traces")),
        ("http://c:4318/custom/traces", OtlpTarget("http/protobuf", "http://c:4318/custom/traces")),
    ],
)  # fmt: skip
def test_otlp_protocol_follows_port_and_scheme(endpoint: str, target: OtlpTarget) -> None:
    assert resolve_otlp(endpoint) == target


def test_explicit_protocol_wins() -> None:
    assert resolve_otlp("http://c:4317", "http/protobuf").url == "http://c:4317/v1/traces"
    assert resolve_otlp("http://c:4318", "grpc").url == "c:4318"


@pytest.mark.parametrize(
    ("endpoint", "url", "legacy"),
    [
        ("localhost:6831", "localhost:4317", 6831),
        ("jaeger:6832", "jaeger:4317", 6832),
        ("http://jaeger:14250", "jaeger:4317", 14250),
        ("http://jaeger:14268/api/traces", "http://jaeger:4318/v1/traces", 14268),
        ("jaeger", "jaeger:4317", None),
        ("http://jaeger:4318", "http://jaeger:4318/v1/traces", None),
    ],
)
def test_jaeger_legacy_ports_map_to_otlp_on_the_same_host(
    endpoint: str, url: str, legacy: int | None
) -> None:
    jaeger = resolve_jaeger(endpoint)
    assert (jaeger.target.url, jaeger.legacy_port) == (url, legacy)


def test_the_guides_two_endpoints_are_one_destination_sent_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = TracingConfig(jaeger_endpoint="localhost:6831", otlp_endpoint="http://localhost:4317")
    with caplog.at_level("INFO", logger="app.tracing.exporters"):
        plans = plan_exporters(config)
    assert [(p.name, p.target) for p in plans] == [("otlp", OtlpTarget("grpc", "localhost:4317"))]
    assert "same destination" in caplog.text


def test_both_endpoints_both_receive_and_the_legacy_notice_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = TracingConfig(
        jaeger_endpoint="jaeger-notice-test:6831",
        otlp_endpoint="http://collector:4318",
        console=True,
    )
    with caplog.at_level("INFO", logger="app.tracing.exporters"):
        plans = plan_exporters(config)
        plan_exporters(config)
    assert [p.name for p in plans] == ["otlp", "jaeger", "console"]
    assert plans[1].target == OtlpTarget("grpc", "jaeger-notice-test:4317")
    notices = [r for r in caplog.records if "legacy Jaeger port" in r.getMessage()]
    assert len(notices) == 1
    assert "jaeger-notice-test:4317" in notices[0].getMessage()


def _settings(**values: object) -> Settings:
    return Settings(database_url="sqlite:///./x.db", **values)  # type: ignore[arg-type]


@pytest.fixture
def from_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """Settings read from the environment ``env`` (plus explicit ``values``), as at startup."""
    for name in os.environ:
        if name.startswith(("OTEL_", "TRACING_")) or name in ("JAEGER_ENDPOINT", "SERVICE_NAME"):
            monkeypatch.delenv(name)

    def read(env: dict[str, str], **values: object) -> Settings:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return _settings(**values)

    return read


def test_from_settings_reads_the_standard_otel_variables(from_env: Callable[..., Settings]) -> None:
    env = {
        "OTEL_SERVICE_NAME": "scheduler-eu",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_TRACES_SAMPLER_ARG": "0.25",
    }
    config = TracingConfig.from_settings(from_env(env, environment="test"))
    assert config.service_name == "scheduler-eu"
    assert config.environment == "test"
    assert config.otlp_endpoint == "http://collector:4318/v1/traces"  # base URL + signal path
    assert config.sample_rate == 0.25
    assert config.enabled is True


def test_from_settings_reads_the_batch_processor_variables(
    from_env: Callable[..., Settings],
) -> None:
    env = {
        "OTEL_BSP_MAX_QUEUE_SIZE": "100",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10",
        "OTEL_BSP_SCHEDULE_DELAY": "250",  # milliseconds, as OpenTelemetry defines them
        "OTEL_BSP_EXPORT_TIMEOUT": "1500",
    }
    config = TracingConfig.from_settings(from_env(env))
    assert (config.max_queue_size, config.max_export_batch_size) == (100, 10)
    assert (config.schedule_delay, config.export_timeout) == (0.25, 1.5)


def test_signal_endpoint_is_used_as_is_and_protocol_is_honoured(
    from_env: Callable[..., Settings],
) -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/custom",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
    }
    config = TracingConfig.from_settings(from_env(env))
    assert config.otlp_endpoint == "http://collector:4318/custom"
    assert config.otlp_protocol == "grpc"


def test_the_generic_endpoint_is_a_base_url(from_env: Callable[..., Settings]) -> None:
    generic = from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/otlp"})
    assert TracingConfig.from_settings(generic).otlp_endpoint == "http://c:4318/otlp/v1/traces"


def test_from_settings_reads_the_app_settings() -> None:
    settings = _settings(jaeger_endpoint="jaeger:6831", tracing_console=True, service_name="svc")
    config = TracingConfig.from_settings(settings)
    assert (config.jaeger_endpoint, config.console, config.service_name) == (
        "jaeger:6831",
        True,
        "svc",
    )


@pytest.mark.parametrize(
    ("sampler", "rate"),
    [("always_off", 0.0), ("parentbased_always_on", 1.0), ("parentbased_traceidratio", 0.5)],
)
def test_sampler_names(from_env: Callable[..., Settings], sampler: str, rate: float) -> None:
    env = {"OTEL_TRACES_SAMPLER": sampler, "OTEL_TRACES_SAMPLER_ARG": "0.5"}
    assert TracingConfig.from_settings(from_env(env)).sample_rate == rate


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG: Input should be less than"),
        ({"OTEL_TRACES_SAMPLER_ARG": "lots"}, "OTEL_TRACES_SAMPLER_ARG: Input should be a valid"),
        ({"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "OTEL_TRACES_SAMPLER: Input should be 'always"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://x"}, "OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x'"),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://:1"},
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:",
        ),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
            "OTEL_EXPORTER_OTLP_PROTOCOL: Input should be 'grpc' or 'http/protobuf'",
        ),
        ({"OTEL_SDK_DISABLED": "maybe"}, "OTEL_SDK_DISABLED: Input should be a valid boolean"),
        ({"OTEL_BSP_MAX_QUEUE_SIZE": "big"}, "OTEL_BSP_MAX_QUEUE_SIZE: Input should be a valid"),
        ({"OTEL_BSP_MAX_QUEUE_SIZE": "0"}, "OTEL_BSP_MAX_QUEUE_SIZE: Input should be greater"),
        ({"OTEL_BSP_SCHEDULE_DELAY": "0"}, "OTEL_BSP_SCHEDULE_DELAY: Input should be greater"),
        ({"OTEL_BSP_EXPORT_TIMEOUT": "1.5"}, "OTEL_BSP_EXPORT_TIMEOUT: Input should be a valid"),
        (
            {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "0"},
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Input should be greater than or equal to 1",
        ),
    ],
)
def test_bad_variables_are_refused_once_by_name(
    from_env: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    message: str,
) -> None:
    from_env({})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    text = str(caught.value)
    assert text.startswith(f"invalid configuration: {message}")
    assert text.count(next(iter(env))) == 1  # reported once


def test_a_bad_jaeger_endpoint_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAEGER_ENDPOINT", "udp://x:6831")
    with pytest.raises(SettingsError, match=r"JAEGER_ENDPOINT: 'udp://x:6831'"):
        load_settings()


def test_otel_sdk_disabled_disables(from_env: Callable[..., Settings]) -> None:
    assert TracingConfig.from_settings(from_env({"OTEL_SDK_DISABLED": "true"})).enabled is False


@pytest.mark.parametrize(
    ("values", "env", "requested"),
    [
        ({}, {}, False),
        ({"tracing_enabled": True}, {}, True),
        ({"tracing_console": True}, {}, True),
        ({"jaeger_endpoint": "jaeger:6831"}, {}, True),
        ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, True),
        ({}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, True),
        ({"tracing_enabled": False}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"tracing_enabled": True}, {"OTEL_SDK_DISABLED": "true"}, False),
        ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "TRUE"}, False),
    ],
)
def test_tracing_is_turned_on_from_settings_without_code(
    from_env: Callable[..., Settings],
    values: dict[str, object],
    env: dict[str, str],
    requested: bool,
) -> None:
    assert from_env(env, **values).tracing_requested is requested


def test_tracing_enabled_from_the_environment(from_env: Callable[..., Settings]) -> None:
    settings = from_env({"TRACING_ENABLED": "false", "JAEGER_ENDPOINT": "jaeger:6831"})
    assert settings.tracing_requested is False  # explicit false beats an endpoint
    assert from_env({"TRACING_ENABLED": "true"}).tracing_requested is True


def test_every_variable_read_is_documented() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    variables = {name.upper() for name in Settings.model_fields if name.startswith("otel_")}
    assert "OTEL_BSP_EXPORT_TIMEOUT" in variables
    text = (root / "docs" / "configuration.md").read_text()  # the full list of variables
    assert [v for v in sorted(variables) if v not in text] == []

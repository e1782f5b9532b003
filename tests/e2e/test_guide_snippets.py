"""Every Python snippet of the user's observability guide runs here as written.

The snippets below are copied verbatim from ``observability-setup-guide.md`` (the user's spec,
in ``../shared/spec/`` next to the repository; ``test_snippets_are_the_guides_text`` proves they
still are, and skips without the file -- it fails instead under ``CI=true``). Each is
compiled with top-level ``await`` allowed and executed as a module body would be. The only
edits are addresses: ``localhost:9091`` becomes a real local Pushgateway, the two tracing
endpoints become local OTLP receivers (HTTP and gRPC), ``alerts.yml`` lands in a temporary
directory. The configuration snippets (``prometheus.yml``, the logging variables) are checked
against what the repository ships and what the settings accept.

The dashboard snippet pushes to a strict local fake of Grafana's HTTP API (Grafana cannot be
installed here).

The repository's own pages run too, read from the files: every Python snippet of
``docs/observability.md`` (each by its own test, in a fresh namespace, with what it does checked)
and of every other page of ``docs/`` (run in a fresh namespace), with the same address edits.
Their shell blocks are ``tests/e2e/test_docs_commands.py``'s.
"""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import Settings
from app.core.metrics import catalog
from app.core.metrics.exporters import PrometheusExporter
from app.db.migrate import upgrade_database
from app.main import create_app
from app.tracing import TracingConfig
from app.tracing.setup import configure_process
from app.tracing.switch import PROCESS
from tests.support.fake_grafana import fake_grafana
from tests.support.lifespan import start, stop
from tests.support.otlp import otlp_grpc_receiver, otlp_http_receiver
from tests.support.servers import PushgatewayServer, pushgateway_server
from tests.support.spec import spec_path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = "observability-setup-guide.md"  # in ../shared/spec/, next to the repository

# --- the guide's code blocks, verbatim -----------------------------------------------------

PROMETHEUS_YML = """\
global:
  scrape_interval: 15s
  evaluation_interval: 15s

scrape_configs:
  - job_name: 'residency-scheduler'
    static_configs:
      - targets: ['backend:8000']
    metrics_path: '/metrics'
"""

IMPORT_DASHBOARDS = """\
from app.core.metrics.dashboards import create_dashboards_in_grafana

await create_dashboards_in_grafana(
    grafana_url="http://localhost:3000",
    api_key="your-api-key"
)
"""

CONFIGURE_METRICS_EXPORT = """\
from app.core.metrics.exporters import create_prometheus_exporter

exporter = create_prometheus_exporter(
    push_gateway_url="localhost:9091",
    job_name="residency-scheduler",
    export_interval=60
)

await exporter.start()
"""

OPENTELEMETRY_CONFIGURATION = """\
from app.tracing import TracingConfig, setup_tracing

config = TracingConfig(
    service_name="residency-scheduler",
    service_version="1.0.0",
    environment="production",
    jaeger_endpoint="localhost:6831",  # or
    otlp_endpoint="http://localhost:4317",
    sample_rate=1.0  # 100% sampling (adjust in production)
)

setup_tracing(config, app)
"""

CUSTOM_SPANS = """\
from app.tracing import trace_function, add_span_attributes

@trace_function("schedule_generation")
async def generate_schedule():
    add_span_attributes(
        user_id=user.id,
        resident_count=len(residents)
    )
    # ... implementation
"""

ALERT_RULES = """\
from app.core.metrics.alerts import get_all_alert_rules, export_prometheus_rules

# Export alert rules
export_prometheus_rules("alerts.yml")
"""

METRIC_COLLECTION = """\
# Adjust collection frequency
from app.core.metrics.exporters import MetricExportConfig

config = MetricExportConfig(
    export_interval_seconds=60,  # Every minute
    batch_size=100,
    retry_attempts=3
)
"""

LOG_VOLUME = """\
# Rotate logs
LOG_MAX_FILE_SIZE=100  # MB
LOG_BACKUP_COUNT=7

# Adjust log levels
LOG_LEVEL=INFO  # DEBUG in dev, INFO in prod
"""

TRACE_SAMPLING = """\
# Reduce sampling in high-traffic environments
config = TracingConfig(
    sample_rate=0.1  # 10% sampling
)
"""

SNIPPETS = {
    "yaml": [PROMETHEUS_YML],
    "python": [
        IMPORT_DASHBOARDS,
        CONFIGURE_METRICS_EXPORT,
        OPENTELEMETRY_CONFIGURATION,
        CUSTOM_SPANS,
        ALERT_RULES,
        METRIC_COLLECTION,
        TRACE_SAMPLING,
    ],
    "bash": [LOG_VOLUME],
}


def adapt(snippet: str, **replacements: str) -> str:
    """The snippet with addresses replaced; each must occur, so the edit is the one intended."""
    for old, new in replacements.items():
        assert old in snippet, old
        snippet = snippet.replace(old, new)
    return snippet


async def run(snippet: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute ``snippet`` as a module body in which ``await`` is allowed."""
    code = compile(snippet, "<observability guide>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)  # exec of a code object; returns a coroutine if it awaits
    if inspect.iscoroutine(result):
        await result
    return namespace


async def wait_until(check: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    import asyncio

    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/guide.db", environment="test")
    await upgrade_database(settings.database_url)
    application = await start(create_app(settings))
    yield application
    await stop(application)
    configure_process(TracingConfig(enabled=False))  # tracing off again for later tests


def client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


# --- the guide's text is what runs here ------------------------------------------------------


def guide_blocks(text: str) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if fence.startswith("```") and len(fence) > 3:
            language, body = fence[3:], []
            i += 1
            while not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.setdefault(language, []).append("".join(body))
        i += 1
    return blocks


def test_snippets_are_the_guides_text() -> None:
    blocks = guide_blocks(spec_path(GUIDE).read_text(encoding="utf-8"))
    assert blocks["python"] == SNIPPETS["python"]  # every Python block, in order
    assert PROMETHEUS_YML in blocks["yaml"]
    assert LOG_VOLUME in blocks["bash"]


# --- Setup: Metrics ----------------------------------------------------------------------------


def test_1_prometheus_configuration_is_the_shipped_one() -> None:
    guide = yaml.safe_load(PROMETHEUS_YML)
    shipped = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert shipped["global"] == guide["global"]
    (job,) = guide["scrape_configs"]
    assert job in shipped["scrape_configs"]  # same job, target backend:8000, path /metrics
    assert job["static_configs"] == [{"targets": ["backend:8000"]}]
    assert job["metrics_path"] == "/metrics"


async def test_4_import_dashboards() -> None:
    """Against a strict local fake of Grafana's HTTP API (Grafana cannot be installed here)."""
    with fake_grafana(tokens={"your-api-key": "Editor"}) as grafana:
        await run(adapt(IMPORT_DASHBOARDS, **{"http://localhost:3000": grafana.url}), {})
        uids = set(grafana.dashboards)
    assert {"residency-overview", "residency-compliance", "residency-security"} <= uids


@pytest.fixture(scope="module")
def gateway() -> Any:
    with pushgateway_server() as server:
        yield server


def pushed(gateway: PushgatewayServer, name: str, **labels: str) -> float | None:
    text = httpx.get(f"{gateway.url}/metrics", trust_env=False, timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    return None


async def test_5_configure_metrics_export(app: FastAPI, gateway: PushgatewayServer) -> None:
    async with client_for(app) as client:
        assert (await client.get("/health")).status_code == 200
    snippet = adapt(CONFIGURE_METRICS_EXPORT, **{"localhost:9091": f"localhost:{gateway.port}"})
    namespace = await run(snippet, {})
    exporter = namespace["exporter"]
    assert isinstance(exporter, PrometheusExporter) and exporter.running
    try:
        # The first push goes out at once and carries the running app's metrics.
        await wait_until(
            lambda: pushed(gateway, catalog.HTTP_REQUESTS.name, route="/health") == 1,
            "the app's request count at the Pushgateway",
        )
        assert pushed(gateway, catalog.ACGME_VIOLATIONS.name, job="residency-scheduler") == 0
    finally:
        await exporter.stop()
    assert not exporter.running


# --- Setup: Distributed Tracing ----------------------------------------------------------------


async def test_1_opentelemetry_configuration(app: FastAPI) -> None:
    with otlp_http_receiver() as otlp, otlp_grpc_receiver() as jaeger:
        snippet = adapt(
            OPENTELEMETRY_CONFIGURATION,
            **{
                "localhost:6831": f"localhost:{jaeger.port}",  # a Jaeger taking OTLP/gRPC
                "http://localhost:4317": f"http://localhost:{otlp.port}",  # OTLP/HTTP
            },
        )
        namespace = await run(snippet, {"app": app})
        assert namespace["config"].sample_rate == 1.0
        async with client_for(app) as client:
            assert (await client.get("/ready")).status_code == 200
        await stop(app)  # the lifespan's shutdown flushes the spans
        for receiver in (otlp, jaeger):  # both set: both receive
            span = receiver.wait_for(lambda s: s.name == "GET /ready")
            assert span.resource["service.name"] == "residency-scheduler"
            assert span.resource["service.version"] == "1.0.0"
            assert span.resource["deployment.environment"] == "production"
            assert receiver.wait_for(
                lambda s, t=span.trace_id: s.kind == "CLIENT" and s.trace_id == t
            )


async def test_4_custom_spans() -> None:
    class User:
        id = 1234

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = PROCESS.use(provider)
    try:
        namespace = await run(CUSTOM_SPANS, {"user": User(), "residents": ["r01", "r02", "r03"]})
        assert await namespace["generate_schedule"]() is None
    finally:
        PROCESS.use(previous)
    (span,) = exporter.get_finished_spans()
    assert span.name == "schedule_generation"
    assert dict(span.attributes or {}) == {"resident_count": 3}  # user_id: personal, dropped


# --- Setup: Alerting ---------------------------------------------------------------------------


async def test_1_configure_alert_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace = await run(ALERT_RULES, {})
    groups = yaml.safe_load((tmp_path / "alerts.yml").read_text())["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
    assert {rule.name for rule in namespace["get_all_alert_rules"]() if hasattr(rule, "severity")}
    assert "ResidencyAcgmeViolationActive" in alerts and "ResidencyTargetDown" in alerts


# --- Performance Tuning ------------------------------------------------------------------------


async def test_metric_collection(gateway: PushgatewayServer) -> None:
    from app.core.metrics.exporters import create_prometheus_exporter

    namespace = await run(METRIC_COLLECTION, {})
    config = namespace["config"]
    assert (config.export_interval_seconds, config.batch_size, config.retry_attempts) == (
        60,
        100,
        3,
    )
    exporter = create_prometheus_exporter(
        push_gateway_url=f"localhost:{gateway.port}", config=config
    )
    assert exporter.config.export_interval_seconds == 60
    assert await exporter.push()  # the config works as is
    await exporter.stop()


def guide_settings(env_file: Path) -> Settings:
    return Settings(_env_file=env_file, database_url="sqlite:///./unused.db")  # type: ignore[call-arg]


def test_log_volume_management_as_a_dotenv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LOG_MAX_FILE_SIZE", "LOG_BACKUP_COUNT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text(LOG_VOLUME)  # `# MB` and `# DEBUG in dev...` are comments
    settings = guide_settings(env_file)
    assert (settings.log_max_file_size, settings.log_backup_count) == (100, 7)
    assert settings.effective_log_level == "INFO"


def test_log_volume_management_in_a_shell(tmp_path: Path) -> None:
    script = tmp_path / "logging.sh"
    script.write_text(LOG_VOLUME)
    program = textwrap.dedent(
        """
        from app.core.config import load_settings
        s = load_settings()
        print(s.log_max_file_size, s.log_backup_count, s.effective_log_level)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOG_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/unused.db"
    result = subprocess.run(
        ["bash", "-c", f'set -a; . "{script}"; exec "{sys.executable}" -c "$0"', program],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["100", "7", "INFO"]


async def test_trace_sampling(app: FastAPI) -> None:
    from app.tracing import setup_tracing

    namespace = await run(TRACE_SAMPLING, {"TracingConfig": TracingConfig})
    config = namespace["config"]
    assert config.sample_rate == 0.1
    provider = setup_tracing(config, app)
    assert provider is not None
    assert "TraceIdRatioBased{0.1}" in provider.sampler.get_description()


# --- docs/observability.md, the repository's version of the guide ----------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def test_observability_doc_links_resolve_and_its_python_compiles() -> None:
    import re

    doc = ROOT / "docs" / "observability.md"
    text = doc.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)]+)\)", text):
        if target.startswith("http"):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.exists(), target
        if anchor:
            headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), re.MULTILINE)
            assert anchor in {slug(h) for h in headings}, target
    blocks = guide_blocks(text)
    assert len(blocks["python"]) >= 5
    for block in blocks["python"]:
        compile(block, "<observability.md>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    for block in blocks["yaml"]:
        yaml.safe_load(block)


# --- docs/observability.md: every Python snippet of the page runs, one namespace each ----------

DOC = ROOT / "docs" / "observability.md"
DOC_SNIPPETS = {  # words that pick one snippet of the page -> the test below that runs it
    ("create_dashboards_in_grafana",): "test_doc_push_dashboards",
    ("await exporter.start()",): "test_doc_metrics_export",
    ("MetricExportConfig(",): "test_doc_export_config",
    ("setup_tracing(config, app)",): "test_doc_opentelemetry_configuration",
    ("@trace_function",): "test_doc_custom_spans",
    ("sample_rate=0.1",): "test_doc_sampling",
    ("export_prometheus_rules",): "test_doc_alert_rules",
}


def doc_snippets() -> list[str]:
    return guide_blocks(DOC.read_text(encoding="utf-8"))["python"]


def doc_snippet(*words: str) -> str:
    """The one Python snippet of docs/observability.md holding every word."""
    (snippet,) = [s for s in doc_snippets() if all(word in s for word in words)]
    return snippet


def fresh_namespace() -> dict[str, Any]:
    return {"__name__": "__main__"}  # what a script or a notebook cell runs with


def test_every_python_snippet_of_the_doc_runs_here() -> None:
    tests = globals()
    chosen = {doc_snippet(*words) for words, test in DOC_SNIPPETS.items() if test in tests}
    assert chosen == set(doc_snippets())  # each one, by exactly one test below


async def test_doc_push_dashboards(capsys: pytest.CaptureFixture[str]) -> None:
    with fake_grafana(tokens={"your-api-key": "Editor"}) as grafana:
        snippet = adapt(
            doc_snippet("create_dashboards_in_grafana"), **{"http://localhost:3000": grafana.url}
        )
        namespace = await run(snippet, fresh_namespace())
        assert {"residency-overview", "residency-compliance"} <= set(grafana.dashboards)
    assert {result.status for result in namespace["results"]} == {"created"}
    assert "created" in capsys.readouterr().out


async def test_doc_metrics_export(app: FastAPI, gateway: PushgatewayServer) -> None:
    snippet = adapt(
        doc_snippet("await exporter.start()"), **{"localhost:9091": f"localhost:{gateway.port}"}
    )
    namespace = await run(snippet, fresh_namespace())
    assert not namespace["exporter"].running  # started, pushed, stopped with a last push
    assert pushed(gateway, catalog.ACGME_VIOLATIONS.name, job="residency-scheduler") == 0


async def test_doc_export_config(gateway: PushgatewayServer) -> None:
    snippet = adapt(
        doc_snippet("MetricExportConfig("), **{"localhost:9091": f"localhost:{gateway.port}"}
    )
    exporter = (await run(snippet, fresh_namespace()))["exporter"]
    config = exporter.config
    assert (config.export_interval_seconds, config.batch_size, config.retry_attempts) == (
        60,
        100,
        3,
    )
    assert await exporter.push()
    await exporter.stop()


@pytest.fixture
async def doc_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """What ``create_app()`` in a snippet reads: a migrated scratch database in the working
    directory, no exporter, log file or Pushgateway of the developer's own."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("OTEL_", "JAEGER_", "TRACING_", "LOG_FILE", "PUSHGATEWAY_")):
            monkeypatch.delenv(name)
    database_url = f"sqlite+aiosqlite:///{tmp_path}/doc.db"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    await upgrade_database(database_url)
    return database_url


async def test_doc_opentelemetry_configuration(doc_environment: str) -> None:
    try:
        with otlp_http_receiver() as otlp, otlp_grpc_receiver() as jaeger:
            snippet = adapt(
                doc_snippet("setup_tracing(config, app)"),
                **{
                    "localhost:6831": f"localhost:{jaeger.port}",
                    "http://localhost:4317": f"http://localhost:{otlp.port}",
                },
            )
            app = (await run(snippet, fresh_namespace()))["app"]
            await start(app)
            async with client_for(app) as client:
                assert (await client.get("/health")).status_code == 200
            await stop(app)  # flushes the spans
            for receiver in (otlp, jaeger):
                span = receiver.wait_for(lambda s: s.name == "GET /health")
                assert span.resource["service.name"] == "residency-scheduler"
    finally:
        configure_process(TracingConfig(enabled=False))


async def test_doc_custom_spans() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = PROCESS.use(provider)
    try:
        namespace = await run(doc_snippet("@trace_function"), fresh_namespace())
    finally:
        PROCESS.use(previous)
    assert inspect.iscoroutinefunction(namespace["generate_schedule"])
    (span,) = exporter.get_finished_spans()  # the snippet's own call
    assert span.name == "schedule_generation"
    assert dict(span.attributes or {}) == {"resident_count": 3}  # user_id: personal, dropped


async def test_doc_sampling() -> None:
    config = (await run(doc_snippet("sample_rate=0.1"), fresh_namespace()))["config"]
    assert isinstance(config, TracingConfig) and config.sample_rate == 0.1


async def test_doc_alert_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    await run(doc_snippet("export_prometheus_rules"), fresh_namespace())
    groups = yaml.safe_load((tmp_path / "alerts.yml").read_text())["groups"]
    assert any(rule.get("alert") == "ResidencyTargetDown" for g in groups for rule in g["rules"])


def other_doc_snippets() -> list[Any]:
    """The Python snippets of every other page of docs/ (and README.md), one param each."""
    params = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        if path == DOC:
            continue
        blocks = guide_blocks(path.read_text(encoding="utf-8")).get("python", [])
        for number, block in enumerate(blocks, start=1):
            params.append(pytest.param(block, id=f"{path.relative_to(ROOT)}#{number}"))
    return params


@pytest.mark.parametrize("snippet", other_doc_snippets())
async def test_other_doc_python_snippet_runs(
    snippet: str, doc_environment: str, gateway: PushgatewayServer
) -> None:
    """Run as written in a fresh namespace; only the addresses point at local servers."""
    with otlp_http_receiver() as otlp, otlp_grpc_receiver() as jaeger:
        local = {
            "localhost:9091": f"localhost:{gateway.port}",
            "localhost:6831": f"localhost:{jaeger.port}",
            "http://localhost:4317": f"http://localhost:{otlp.port}",
        }
        for address, replacement in local.items():
            snippet = snippet.replace(address, replacement)
        try:
            await run(snippet, fresh_namespace())
        finally:
            configure_process(TracingConfig(enabled=False))

"""deploy/docker-compose.yml: valid for Compose, pinned, checked, and wired to the shipped
configuration (Prometheus, the OpenTelemetry Collector, Grafana's provisioning).

There is no Docker engine here: ``docker-compose config`` (Debian's ``docker-compose``
package, installed by scripts/install-test-deps.sh) validates and resolves the file without
one; without it these tests skip locally and fail under ``CI=true``. The collector's own
binary cannot be installed here either, so its configuration is checked for structure.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.alerting import run_tool
from tests.support.fixtures import component_unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
SECRETS = {"JWT_SECRET": "x" * 64, "POSTGRES_PASSWORD": "p" * 32}
ELK = {"elasticsearch", "logstash", "kibana"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # merge keys (<<) resolved
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def docker_compose(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        component_unavailable(
            "docker-compose is unavailable: not found on PATH "
            "(install with scripts/install-test-deps.sh or `apt-get install docker-compose`)"
        )
    # Only what Compose needs: a variable of the developer's shell must not hide a missing one.
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [binary, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**base, **env},
        timeout=120,
    )


@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    """deploy/ without a developer's deploy/.env (Compose would read its secrets)."""
    target = tmp_path / "deploy"
    shutil.copytree(DEPLOY, target, ignore=shutil.ignore_patterns(".env"))
    return target


def test_compose_accepts_the_file(tmp_path: Path) -> None:
    result = docker_compose("-f", str(COMPOSE), "config", env=SECRETS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == set(services())
    backend = resolved["services"]["backend"]["environment"]
    assert backend["JWT_SECRET"] == SECRETS["JWT_SECRET"]
    assert backend["DATABASE_URL"] == (
        f"postgresql+asyncpg://scheduler:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/scheduler"
    )


def test_compose_refuses_to_start_without_the_secrets(deploy_copy: Path) -> None:
    result = docker_compose(
        "-f", str(deploy_copy / "docker-compose.yml"), "config", env={}, cwd=deploy_copy
    )
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr or "POSTGRES_PASSWORD" in result.stderr, result.stderr


def test_compose_reads_the_secrets_from_deploy_env(deploy_copy: Path, tmp_path: Path) -> None:
    (deploy_copy / ".env").write_text(
        "".join(f"{name}={value}\n" for name, value in SECRETS.items())
    )
    result = docker_compose(
        "-f", str(deploy_copy / "docker-compose.yml"), "config", env={}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert SECRETS["JWT_SECRET"] in result.stdout


def test_no_secret_is_in_the_file() -> None:
    environment = services()["backend"]["environment"]
    assert environment["JWT_SECRET"].startswith("${JWT_SECRET:?")
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]
    assert services()["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )


@pytest.mark.parametrize("name", sorted(services()))
def test_every_service_is_pinned_and_checked(name: str) -> None:
    service = services()[name]
    if "build" not in service:
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not pinned"
    healthcheck = service["healthcheck"]
    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}, healthcheck
    assert not healthcheck.get("disable")


def test_the_app_is_built_from_the_repository() -> None:
    for name in ("backend", "worker"):
        build = services()[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"


def _volumes(service: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for entry in service.get("volumes", []):
        assert isinstance(entry, str), entry
        source, _, rest = entry.partition(":")
        assert rest, f"anonymous volume {entry!r}: name it"
        pairs.append((source, rest.split(":")[0]))
    return pairs


def test_volumes_are_named_or_repository_files() -> None:
    declared = set(compose()["volumes"])
    used = set()
    for name, service in services().items():
        for source, _target in _volumes(service):
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name}: {source} is not in the repository"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert used == declared


def test_the_elk_option_is_a_profile() -> None:
    profiled = {name for name, service in services().items() if "profiles" in service}
    assert profiled == ELK
    assert all(services()[name]["profiles"] == ["elk"] for name in ELK)


def test_the_app_is_configured_for_the_stack() -> None:
    backend = services()["backend"]["environment"]
    assert backend["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert backend["REDIS_URL"] == "redis://redis:6379/0"
    assert backend["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    assert backend["PUSHGATEWAY_URL"] == "pushgateway:9091"
    assert backend["ENVIRONMENT"] == "production"
    assert backend["TRUSTED_HOSTS"]  # required in production
    assert backend["HOST"] == "0.0.0.0" and backend["PORT"] == "8000"
    assert backend["GENERATION_WORKER"] == "external"
    worker = services()["worker"]
    assert worker["command"] == ["residency-scheduler", "worker"]
    assert worker["environment"]["DATABASE_URL"] == backend["DATABASE_URL"]
    assert worker["environment"]["REDIS_URL"] == backend["REDIS_URL"]


def _mounted(service: str, path_in_container: str) -> Path:
    """The repository path mounted at ``path_in_container`` (or a folder above it)."""
    for source, target in _volumes(services()[service]):
        if source.startswith("./") and (
            path_in_container == target or path_in_container.startswith(target + "/")
        ):
            return DEPLOY / source / path_in_container.removeprefix(target).lstrip("/")
    raise AssertionError(f"{service}: nothing from the repository at {path_in_container}")


def _flag(service: str, name: str) -> str:
    (value,) = [
        arg.split("=", 1)[1] for arg in services()[service]["command"] if arg.startswith(name)
    ]
    return value


def prometheus_config() -> tuple[Path, dict[str, Any]]:
    path = _mounted("prometheus", _flag("prometheus", "--config.file="))
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return path, config


def test_prometheus_scrapes_the_backend_as_the_guide_says() -> None:
    _, config = prometheus_config()
    assert config["global"]["scrape_interval"] == "15s"
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "residency-scheduler")
    assert job["static_configs"] == [{"targets": ["backend:8000"]}]
    assert job["metrics_path"] == "/metrics"
    assert job.get("scrape_interval", "15s") == "15s"
    assert "backend" in services()


def test_prometheus_reads_the_pushgateway_with_its_labels() -> None:
    _, config = prometheus_config()
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "pushgateway")
    assert job["honor_labels"] is True
    assert job["static_configs"] == [{"targets": ["pushgateway:9091"]}]
    assert "pushgateway" in services()


def test_prometheus_alerts_the_alertmanager_service() -> None:
    _, config = prometheus_config()
    (alertmanagers,) = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"] == [{"targets": ["alertmanager:9093"]}]
    config_file = _flag("alertmanager", "--config.file=")
    assert _mounted("alertmanager", config_file) == DEPLOY / "alertmanager" / "alertmanager.yml"


def test_promtool_accepts_the_mounted_prometheus_config() -> None:
    path, config = prometheus_config()
    for rule_file in config["rule_files"]:
        assert (path.parent / rule_file).is_file(), rule_file  # mounted with the config
    result = run_tool("promtool", "check", "config", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS: [1-9]\d* rules found", result.stdout), result.stdout


def collector_config() -> dict[str, Any]:
    command = services()["otel-collector"]["command"]
    (flag,) = [arg for arg in command if arg.startswith("--config=")]
    path = _mounted("otel-collector", flag.removeprefix("--config="))
    assert path == DEPLOY / "otel-collector" / "config.yaml"
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return config


def test_collector_receives_otlp_limits_memory_batches_and_exports_to_jaeger() -> None:
    # A structure check: the collector binary (`otelcol validate`) cannot be installed here.
    config = collector_config()
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")
    assert config["processors"]["memory_limiter"]["limit_mib"] > 0
    assert "batch" in config["processors"]
    (traces,) = config["service"]["pipelines"].values()
    assert traces["receivers"] == ["otlp"]
    assert traces["processors"] == ["memory_limiter", "batch"]  # the limiter first
    (exporter,) = traces["exporters"]
    assert exporter.split("/")[0] == "otlp"
    assert config["exporters"][exporter]["endpoint"] == "jaeger:4317"
    assert set(config["service"].get("extensions", [])) <= set(config.get("extensions", {}))
    # every component the pipeline names is defined, and nothing else is left dangling
    for kind in ("receivers", "processors", "exporters"):
        assert set(traces[kind]) == set(config[kind]), kind


def test_jaeger_takes_otlp_from_the_collector() -> None:
    assert services()["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    assert services()["jaeger"]["image"].startswith("jaegertracing/all-in-one:")


def test_grafana_provisioning_is_mounted_from_the_repository() -> None:
    provisioning = _mounted("grafana", "/etc/grafana/provisioning")
    assert provisioning == DEPLOY / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "datasources.yml").read_text())
    urls = {source["uid"]: source["url"] for source in sources["datasources"]}
    assert urls == {
        "prometheus": "http://prometheus:9090",
        "loki": "http://loki:3100",
        "jaeger": "http://jaeger:16686",
    }
    assert {url.split("//")[1].split(":")[0] for url in urls.values()} <= set(services())
    providers = yaml.safe_load((provisioning / "dashboards" / "dashboards.yml").read_text())
    for provider in providers["providers"]:
        folder = _mounted("grafana", provider["options"]["path"])
        assert sorted(folder.glob("*.json")), folder


def test_logs_are_shipped_from_the_apps_log_volume() -> None:
    log_file = services()["backend"]["environment"]["LOG_FILE"]
    log_dir = str(Path(log_file).parent)
    promtail = yaml.safe_load(_mounted("promtail", "/etc/promtail/config.yml").read_text())
    (job,) = promtail["scrape_configs"]
    assert job["static_configs"][0]["labels"]["__path__"] == log_file
    assert promtail["clients"] == [{"url": "http://loki:3100/loki/api/v1/push"}]
    for shipper in ("promtail", "logstash"):
        assert ("backend-logs", log_dir) in _volumes(services()[shipper]), shipper
    logstash = _mounted("logstash", "/usr/share/logstash/pipeline/logstash.conf")
    assert log_file in logstash.read_text()
    assert "http://elasticsearch:9200" in logstash.read_text()


def test_the_image_installs_the_locked_runtime_dependencies() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, flags=re.MULTILINE)
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv and f"uv=={makefile_uv.group(1)}" in dockerfile
    syncs = re.findall(r"uv sync ([^\n]*)", dockerfile)
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs)
    assert "residency-scheduler migrate && exec residency-scheduler serve" in dockerfile
    assert re.search(r"^USER \w+", dockerfile, flags=re.MULTILINE)  # not root
    # An allow-list: .env, data/ and the virtual environments are never sent to the build.
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    assert next(line for line in ignored if not line.startswith("#")) == "*"
    assert "!app/" in ignored


DOCS = ROOT / "docs" / "observability.md"


def _docs_section(title: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    return text[start : text.index("\n## ", start + 1)]


def test_the_documented_commands_run_as_written(deploy_copy: Path) -> None:
    """docs/observability.md's compose block, in a copy of the checkout: the secrets go to
    deploy/.env and the file validates. `up` needs a Docker engine, so it is the one line left
    out; Debian's docker-compose stands in for `docker compose`."""
    section = _docs_section("Run the whole stack with Docker Compose")
    first, elk = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert "docker compose -f deploy/docker-compose.yml up -d" in first
    assert elk.strip() == "docker compose -f deploy/docker-compose.yml --profile elk up -d"
    script = "\n".join(line for line in first.splitlines() if not line.endswith(" up -d"))
    docker_compose("version", env={}, cwd=deploy_copy)  # skips (fails in CI) without it
    shim = deploy_copy.parent / "bin"
    shim.mkdir()
    (shim / "docker").write_text(
        '#!/bin/sh\n[ "$1" = compose ] && shift\nexec docker-compose "$@"\n'
    )
    (shim / "docker").chmod(0o755)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=deploy_copy.parent,
        env={"PATH": f"{shim}:/usr/local/bin:/usr/bin:/bin", "HOME": str(deploy_copy.parent)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    written = dict(line.split("=", 1) for line in (deploy_copy / ".env").read_text().splitlines())
    assert set(written) == {"JWT_SECRET", "POSTGRES_PASSWORD"}
    assert len(written["JWT_SECRET"]) == 64


def test_the_documented_urls_are_the_published_ports() -> None:
    section = _docs_section("Run the whole stack with Docker Compose")
    documented = set(re.findall(r"localhost:(\d+)", section))
    published = {
        port.split(":")[1] for service in services().values() for port in service.get("ports", [])
    }
    assert documented == published
    assert all(
        port.startswith("127.0.0.1:") for s in services().values() for port in s.get("ports", [])
    )

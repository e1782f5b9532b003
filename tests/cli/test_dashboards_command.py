"""``residency-scheduler dashboards push`` against the strict fake Grafana, and ``export``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.metrics.dashboard_model import build_dashboards
from tests.support.fake_grafana import FakeGrafana, fake_grafana

runner = CliRunner()
TOKEN = "glsa_cli_editor_0123456789"
VIEWER = "glsa_cli_viewer_0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("GRAFANA_TOKEN", "GRAFANA_USER", "GRAFANA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENVIRONMENT", "development")


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    with fake_grafana(
        tokens={TOKEN: "Editor", VIEWER: "Viewer"}, users={("admin", "s3cret"): "Admin"}
    ) as server:
        yield server


def test_push_with_a_token_from_the_environment(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", grafana.url])

    assert result.exit_code == 0, result.output
    models = build_dashboards()
    lines = result.stdout.splitlines()
    assert len(lines) == len(models)
    for line, model in zip(lines, models, strict=True):
        assert line.startswith("created ") and model["title"] in line
        assert (
            f"uid {model['uid']}, version 1" in line and f"{grafana.url}/d/{model['uid']}/" in line
        )
    assert set(grafana.dashboards) == {m["uid"] for m in models}
    assert grafana.calls("POST", "/api/folders")[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in result.output

    again = runner.invoke(cli, ["dashboards", "push", "--grafana-url", grafana.url])
    assert again.exit_code == 0, again.output
    assert all(line.startswith("unchanged") for line in again.stdout.splitlines())
    assert {d.version for d in grafana.dashboards.values()} == {1}


def test_push_into_a_chosen_folder_with_basic_auth(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFANA_USER", "admin")
    monkeypatch.setenv("GRAFANA_PASSWORD", "s3cret")
    result = runner.invoke(
        cli, ["dashboards", "push", "--grafana-url", grafana.url, "--folder", "On call"]
    )
    assert result.exit_code == 0, result.output
    assert grafana.folders["residency-scheduler"].title == "On call"


def test_no_credentials_exits_2_naming_grafana_token() -> None:
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "GRAFANA_TOKEN" in result.stderr and result.stderr.startswith("error: ")


def test_a_user_without_password_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFANA_USER", "admin")
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "GRAFANA_PASSWORD" in result.stderr


def test_the_token_is_never_a_flag() -> None:
    result = runner.invoke(
        cli, ["dashboards", "push", "--grafana-url", "http://127.0.0.1:9", "--token", "x"]
    )
    assert result.exit_code == 2 and "No such option" in result.output


def test_a_bad_token_exits_2_with_grafanas_message(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa_revoked_token")
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", grafana.url])
    assert result.exit_code == 2
    assert "401 Unauthorized" in result.stderr and "invalid API key" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1


def test_a_viewer_token_exits_1_asking_for_editor(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", VIEWER)
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", grafana.url])
    assert result.exit_code == 1
    assert "403 Forbidden" in result.stderr and "Editor role" in result.stderr


def test_a_url_that_is_not_grafana_exits_2(
    grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", grafana.url + "/nope"])
    assert result.exit_code == 2 and "is not a Grafana" in result.stderr
    bad = runner.invoke(cli, ["dashboards", "push", "--grafana-url", "localhost:3000"])
    assert bad.exit_code == 2 and "must be an http" in bad.stderr


def test_export_writes_the_files(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["dashboards", "export", str(tmp_path / "grafana")])
    assert result.exit_code == 0, result.output
    written = [Path(line.removeprefix("wrote ")) for line in result.stdout.splitlines()]
    assert written and all(path.is_file() for path in written)
    models = build_dashboards()
    assert len([p for p in written if p.suffix == ".json"]) == len(models)
    assert any(p.suffix in (".yml", ".yaml") for p in written)  # provisioning


def test_export_to_a_place_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for target in (blocker, blocker / "below"):
        result = runner.invoke(cli, ["dashboards", "export", str(target)])
        assert result.exit_code == 2, result.output
        assert str(target) in result.stderr and "Traceback" not in result.output


def test_a_password_without_user_or_a_malformed_token_exits_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAFANA_PASSWORD", "s3cret")
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "GRAFANA_PASSWORD: needs GRAFANA_USER" in result.stderr
    monkeypatch.delenv("GRAFANA_PASSWORD")
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa with spaces")
    result = runner.invoke(cli, ["dashboards", "push", "--grafana-url", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "GRAFANA_TOKEN: must be a Grafana" in result.stderr
    assert "glsa with spaces" not in result.output

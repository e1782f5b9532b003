"""Every shell block of README.md and docs/ marked runnable runs as written, on a fresh checkout.

The convention (an HTML comment: GitHub renders nothing), on the line just before the fence::

    <!-- runnable -->                    run the block; it must exit 0
    <!-- runnable: expect TEXT -->       ... and print TEXT (stdout or stderr)
    <!-- not-runnable: REASON -->        shown only; REASON says why (Docker, a Grafana, a
                                         server that runs until stopped, a deployment's log...)

Every ``bash`` (``sh``, ``shell``, ``console``) block carries one of them:
``test_every_shell_block_is_marked`` fails on a new command nobody decided about.

Where the runnable blocks run: a work directory laid out as a checkout after ``make run``
(``DEMO_SIZE=small``): the repository's files without ``data/``, caches or ``.git``, ``.venv``
linked to the repository's, ``data/`` migrated and seeded by ``.venv/bin/residency-scheduler``
(``data/demo-credentials.txt`` as ``make run`` leaves it), and ``.venv/bin/residency-scheduler
serve`` running from there. Each block runs there with ``bash`` under ``set -euo pipefail``, with
the PATH of a fresh shell (``.venv/bin`` not on it) and none of the developer's settings.

The one edit: the server listens on a free port, not on 8000 (a developer's own server or a
parallel test may hold 8000), so ``127.0.0.1:8000`` and ``localhost:8000`` in a block become
that port before it runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.fixtures import component_unavailable
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
MARKER = re.compile(r"^<!--\s*(runnable|not-runnable)\s*(?::\s*(.*?))?\s*-->$")
EXPECT = re.compile(r'^expect\s+"(.+)"$')
DOCUMENTED_ADDRESSES = ("127.0.0.1:8000", "localhost:8000")
FRESH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NOT_COPIED = {".git", ".venv", ".venv-tools", "data", "tmp", "tests", ".hypothesis", ".mypy_cache"}
NOT_COPIED |= {".ruff_cache", ".pytest_cache", "deploy/.env"}
MIGRATIONS = Path("app/db/migrations/versions")
TOOLS = {  # commands the blocks use that a machine may lack -> the package that has them
    "promtool": "prometheus",
    "amtool": "prometheus-alertmanager",
    "openssl": "openssl",
    "curl": "curl",
    "jq": "jq",
}


@dataclass(frozen=True)
class ShellBlock:
    path: str  # relative to the repository root
    line: int  # of the opening fence
    language: str
    marker: str | None  # "runnable", "not-runnable" or None
    argument: str  # expect "...", or the reason
    text: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def expected(self) -> str | None:
        match = EXPECT.match(self.argument)
        return match.group(1) if match else None


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def shell_blocks(path: Path) -> list[ShellBlock]:
    """The fenced shell blocks of one Markdown file (indented ones in lists included)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped.startswith("```"):
            i += 1
            continue
        fence, indent = lines[i].lstrip(), len(lines[i]) - len(lines[i].lstrip())
        language = fence[3:].strip().split(" ")[0]
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i].lstrip())
            i += 1
        i += 1
        if language not in SHELL_LANGUAGES:
            continue
        previous = lines[start - 1].strip() if start > 0 else ""
        match = MARKER.match(previous)
        blocks.append(
            ShellBlock(
                path=str(path.relative_to(ROOT)),
                line=start + 1,
                language=language,
                marker=match.group(1) if match else None,
                argument=(match.group(2) or "") if match else "",
                text="\n".join(body) + "\n",
            )
        )
    return blocks


ALL_BLOCKS = [block for path in documents() for block in shell_blocks(path)]
RUNNABLE = [block for block in ALL_BLOCKS if block.marker == "runnable"]


def test_every_shell_block_is_marked() -> None:
    unmarked = [block.id for block in ALL_BLOCKS if block.marker is None]
    assert not unmarked, (
        "shell blocks without <!-- runnable --> or <!-- not-runnable: reason --> "
        f"on the line before the fence: {unmarked}"
    )
    unexplained = [b.id for b in ALL_BLOCKS if b.marker == "not-runnable" and not b.argument]
    assert not unexplained, f"<!-- not-runnable: ... --> needs a reason: {unexplained}"
    malformed = [b.id for b in RUNNABLE if b.argument and b.expected is None]
    assert not malformed, f'<!-- runnable: expect "TEXT" --> is the only argument: {malformed}'
    assert RUNNABLE, "no runnable block found: is the marker convention still in use?"


# --- the checkout the blocks run in ------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    root: Path
    port: int
    env: dict[str, str]


def fresh_env(home: Path) -> dict[str, str]:
    """A fresh login shell's environment: no .venv/bin on PATH, none of the developer's settings."""
    return {"PATH": FRESH_PATH, "HOME": str(home), "LANG": "C.UTF-8", "USER": "docs"}


def not_in_a_clone(directory: str, names: list[str]) -> set[str]:
    """What a fresh clone lacks: the environment, data, caches, a developer's secrets."""
    relative = Path(directory).relative_to(ROOT)
    return {
        name
        for name in names
        if name == "__pycache__" or (relative / name).as_posix() in NOT_COPIED
    }


def run_cli(checkout: Path, env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [".venv/bin/residency-scheduler", *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    """The repository as ``make run`` leaves a fresh clone, with the server on a free port."""
    root = tmp_path_factory.mktemp("docs") / "residency-scheduler"
    shutil.copytree(ROOT, root, ignore=not_in_a_clone, symlinks=True)
    (root / ".venv").symlink_to(ROOT / ".venv")
    home = root.parent / "home"
    home.mkdir()
    env = fresh_env(home)
    run_cli(root, env, "migrate")  # the steps of `make run`, with DEMO_SIZE=small
    run_cli(root, env, "seed", "--demo", "small")
    assert (root / "data" / "demo-credentials.txt").is_file()
    port = free_port()
    log = (root.parent / "serve.log").open("wb")
    server = subprocess.Popen(
        [".venv/bin/residency-scheduler", "serve"],
        cwd=root,
        env={**env, "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (root.parent / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", trust_env=False).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield Checkout(root, port, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def migrations(root: Path) -> set[Path]:
    return set((root / MIGRATIONS).glob("*.py"))


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_runnable_block_runs_as_written(block: ShellBlock, checkout: Checkout) -> None:
    for tool, package in TOOLS.items():
        if re.search(rf"(^|[\s|;&(]){tool}\s", block.text) and not shutil.which(
            tool, path=FRESH_PATH
        ):
            component_unavailable(f"{tool} is not installed (apt-get install {package})")
    script = block.text
    for address in DOCUMENTED_ADDRESSES:
        script = script.replace(address, f"127.0.0.1:{checkout.port}")
    before = migrations(checkout.root)
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=checkout.root,
        env=checkout.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{block.id} exited {result.returncode}:\n{script}\n{output}"
    if block.expected is not None:
        assert block.expected in output, f"{block.id}: {block.expected!r} not in:\n{output}"
    for revision in migrations(checkout.root) - before:  # a new migration changes nothing
        assert "op." not in revision.read_text(), f"{block.id}: models and migrations differ"

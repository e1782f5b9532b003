"""The structure says what it is: no import cycles, plumbing that imports no domain, each
environment variable read in one place, each metric name typed once."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.metrics.catalog import CATALOG

APP = Path(__file__).resolve().parents[1] / "app"
DOMAIN = ("people", "rotations", "schedules", "compliance", "generation", "auth", "swaps")
DOMAIN += ("audit", "cache", "security")
PLUMBING = ("app.api", "app.db")
MIGRATIONS = "app.db.migrations"  # Alembic's scripts: they read every model, by design


def _modules() -> dict[str, Path]:
    modules = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> Iterator[str]:
    """Every app module ``path`` imports: at the top, in functions, and for type checking."""
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from app.x import y``: y is a submodule or a name defined in app.x
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] == "app" and (target := _resolve(name)):
                yield target


GRAPH = {module: set(_imports(path)) - {module} for module, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in GRAPH[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_the_import_graph_is_found() -> None:
    assert "app.services" in GRAPH["app.main"]
    assert "app.core.metrics.catalog" in GRAPH["app.core.metrics.registry"]


def test_no_import_cycle_among_app_modules() -> None:
    assert _cycles() == []


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


@pytest.mark.parametrize("plumbing", PLUMBING)
def test_plumbing_imports_no_domain_package(plumbing: str) -> None:
    domain = {f"app.{name}" for name in DOMAIN}
    offenders = {
        (module, target)
        for module, targets in GRAPH.items()
        if _package(module) == plumbing and not module.startswith(MIGRATIONS)
        for target in targets
        if _package(target) in domain or target in ("app.services", "app.routes", "app.main")
    }
    assert offenders == set()


def test_no_domain_package_imports_the_metrics() -> None:
    offenders = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.count(".") and module.split(".")[1] in DOMAIN
        for target in targets
        if target.startswith("app.core.metrics")
    }
    assert offenders == set()


ENVIRONMENT_MODULE = APP / "core" / "environment.py"
_ENV_ACCESS = re.compile(r"\bos\.environ\b|\bgetenv\b|\benviron\b")


def test_only_settings_and_the_environment_module_touch_the_environment() -> None:
    touching = {
        str(path.relative_to(APP.parent))
        for path in MODULES.values()
        if _ENV_ACCESS.search(path.read_text())
    }
    assert touching == {"app/core/environment.py"}


def test_each_variable_is_read_in_exactly_one_module() -> None:
    """Settings parses every variable a user sets; the environment module reads only its own
    internal hand-over variables, never one of those."""
    source = ENVIRONMENT_MODULE.read_text()
    read_there = set(re.findall(r"os\.environ\.get\((\w+)\)", source))
    values = {
        name: value
        for name, value in re.findall(r'^(\w+) = "([A-Z_]+)"$', source, flags=re.MULTILINE)
    }
    variables = {values[name] for name in read_there}
    assert variables == {"RESIDENCY_SERVICE_PID", "RESIDENCY_MULTIPROC_DIR_OWNED"}
    settings_variables = {name.upper() for name in Settings.model_fields}
    assert variables & settings_variables == set()


def test_every_metric_name_is_typed_once_in_app() -> None:
    sources = {path: path.read_text() for path in MODULES.values()}
    counts: dict[str, list[str]] = defaultdict(list)
    for spec in CATALOG:
        pattern = re.compile(rf"\b{re.escape(spec.name)}\b")
        for path, text in sources.items():
            counts[spec.name] += [str(path.relative_to(APP.parent))] * len(pattern.findall(text))
    typed_twice = {name: where for name, where in counts.items() if len(where) != 1}
    assert typed_twice == {}

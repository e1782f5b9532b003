"""The user's specification files, found next to the repository in ``../shared/spec/``.

A missing file makes the test that needs it skip on a developer machine but fail under
``CI=true``: CI never silently skips a check against the spec.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures import in_ci

ROOT = Path(__file__).resolve().parents[2]
"""The repository (project) root."""

SPEC_DIR = ROOT / ".." / "shared" / "spec"


def spec_path(name: str) -> Path:
    """The spec file ``name`` (e.g. ``observability-setup-guide.md``); skip or fail if absent."""
    path = (SPEC_DIR / name).resolve()
    if not path.is_file():
        reason = f"spec file {name} not found at {path}"
        if in_ci():
            pytest.fail(f"{reason} [CI=true: a missing spec fails, it never skips]", pytrace=False)
        pytest.skip(reason)
    return path

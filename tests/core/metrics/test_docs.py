"""docs/metrics.md is generated from the catalog and must not go stale."""

from __future__ import annotations

from app.core.metrics import catalog, docs


def test_docs_are_up_to_date() -> None:
    assert docs.DOC_PATH.read_text(encoding="utf-8") == docs.render(), (
        "docs/metrics.md is stale: run `.venv/bin/python -m app.core.metrics.docs`"
    )


def test_docs_list_every_metric() -> None:
    text = docs.render()
    for spec in catalog.CATALOG:
        assert f"`{spec.name}`" in text

"""Series that alerts read exist, at 0, before the first event: a counter series born with its
first event hides that event from increase() and rate()."""

from __future__ import annotations

from pathlib import Path

from app.core.metrics import catalog
from app.swaps.events import MOVES, TRANSITIONS, SwapState
from tests.support.api import build_app, client_for
from tests.support.metrics import scrape, value


def test_every_enumerated_app_metric_declares_its_combinations() -> None:
    """Only HTTP's open labels (route, status) are left: their series come from the app's
    routes (see test_http)."""
    for spec in catalog.CATALOG:
        if spec.source != "app" or not spec.labels:
            continue
        if all(label.values is not None for label in spec.labels):
            assert spec.initial, spec.name
        else:
            assert spec in (catalog.HTTP_REQUESTS, catalog.HTTP_REQUEST_DURATION), spec.name


def test_swap_transitions_are_the_state_machine() -> None:
    P, A, X, E, R, C = (
        SwapState.PENDING,
        SwapState.ACCEPTED,
        SwapState.APPROVED,
        SwapState.EXECUTED,
        SwapState.REJECTED,
        SwapState.CANCELLED,
    )
    assert set(TRANSITIONS) == {
        (None, P), (P, A), (P, R), (P, C), (A, R), (A, C), (A, X), (X, E)
    }  # fmt: skip
    assert len(TRANSITIONS) == len(set(TRANSITIONS))
    assert {(s, m.target) for m in MOVES for s in m.sources} == set(TRANSITIONS) - {(None, P)}
    none = catalog.SWAP_CREATED_FROM
    assert catalog.SWAP_TRANSITIONS.initial == tuple(
        (none if old is None else old.value, new.value) for old, new in TRANSITIONS
    )


async def test_a_fresh_app_exports_every_known_combination_at_zero(tmp_path: Path) -> None:
    app = await build_app(tmp_path)
    async with client_for(app) as client:
        samples = await scrape(client)
    for old, new in TRANSITIONS:
        from_state = catalog.SWAP_CREATED_FROM if old is None else old.value
        found = value(
            samples, catalog.SWAP_TRANSITIONS.name, from_state=from_state, to_state=new.value
        )
        assert found == 0, (old, new)
    for spec in catalog.CATALOG:
        if spec.source != "app":
            continue
        name = spec.count if spec.kind == "histogram" else spec.name
        for combo in spec.initial:
            labels = dict(zip(spec.label_names, combo, strict=True))
            assert value(samples, name, **labels) == 0, (spec.name, labels)
    for spec in (catalog.DB_POOL_BUSY_SECONDS, catalog.DB_POOL_TIMEOUTS):
        assert value(samples, spec.name) is not None, spec.name
    assert value(samples, catalog.DB_POOL_WAIT.count) is not None

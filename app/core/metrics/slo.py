"""Availability SLO: error-ratio recording rules and multi-window, multi-burn-rate alerts.

From a declared objective (``thresholds.AVAILABILITY_OBJECTIVE`` over 30 days) as the Google SRE
workbook sets them: page when the error budget burns 14.4x too fast over 1 h and 5 m, or 6x over
6 h and 30 m; open a ticket at 3x over 1 d and 2 h, or 1x over 3 d and 6 h. The short window of
each pair makes the alert stop soon after the burning stops.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.metrics import catalog
from app.core.metrics.promql import DAY, HOUR, MINUTE, Clock, duration, rate, ratio

ERRORS = {"status": "~5.."}


@dataclass(frozen=True)
class BurnRate:
    factor: float
    long: int  # seconds
    short: int


PAGE = (BurnRate(14.4, HOUR, 5 * MINUTE), BurnRate(6, 6 * HOUR, 30 * MINUTE))
TICKET = (BurnRate(3, DAY, 2 * HOUR), BurnRate(1, 3 * DAY, 6 * HOUR))
WINDOWS = sorted({w for burn in (*PAGE, *TICKET) for w in (burn.long, burn.short)})


def error_ratio_name(window: int) -> str:
    """The recording rule of the 5xx share over ``window`` (named by its unscaled window)."""
    return f"residency:http_error_ratio:rate{duration(window)}"


def error_ratio(window: str) -> str:
    requests = catalog.HTTP_REQUESTS
    return ratio(f"sum({rate(requests, window, **ERRORS)})", f"sum({rate(requests, window)})")


def recording_rules(clock: Clock) -> list[tuple[str, str]]:
    """(name, expression) of the error ratio over every window the burn alerts read."""
    return [(error_ratio_name(w), error_ratio(clock.window(w))) for w in WINDOWS]


def burn_expression(burns: tuple[BurnRate, ...], objective: float) -> str:
    budget = 1 - objective
    pairs = [
        f"({error_ratio_name(b.long)} > {b.factor * budget:g}"
        f" and {error_ratio_name(b.short)} > {b.factor * budget:g})"
        for b in burns
    ]
    return " or ".join(pairs)

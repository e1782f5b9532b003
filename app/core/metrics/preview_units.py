"""Grafana units as text, for the dashboard preview: ``format_value(0.25, "s")`` -> ``250 ms``.

Covers the units the dashboards use (seconds, ms, bytes, Bps, percent, percentunit, reqps,
ops, short, none); anything else is a short number followed by the unit id.
"""

from __future__ import annotations

import math

_SI = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
_IEC = ((1024**4, "TiB"), (1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB"))
_TIME = ((86400.0, "day"), (3600.0, "hour"), (60.0, "min"), (1.0, "s"), (1e-3, "ms"), (1e-6, "µs"))


def number(value: float) -> str:
    """About three significant digits, no exponent, no trailing zeros: 0.125 -> 0.125."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 0.01:
        text = f"{value:.2f}" if magnitude >= 1 else f"{value:.3f}"
    else:
        return f"{value:.2e}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def short(value: float) -> str:
    for size, suffix in _SI:
        if abs(value) >= size:
            return f"{number(value / size)} {suffix}"
    return number(value)


def seconds(value: float) -> str:
    if value == 0:
        return "0 s"
    for size, name in _TIME:
        if abs(value) >= size:
            return f"{number(value / size)} {name}"
    return f"{number(value / 1e-9)} ns"


def bytes_iec(value: float) -> str:
    for size, suffix in _IEC:
        if abs(value) >= size:
            return f"{number(value / size)} {suffix}"
    return f"{number(value)} B"


def format_value(value: float | None, unit: str | None) -> str:
    """``value`` in ``unit`` as Grafana would show it; ``None`` and non-finite -> ``-``."""
    if value is None or not math.isfinite(value):
        return "-"
    match unit or "short":
        case "s":
            return seconds(value)
        case "ms":
            return seconds(value / 1000)
        case "bytes":
            return bytes_iec(value)
        case "Bps" | "binBps":
            return f"{bytes_iec(value)}/s"
        case "percentunit":
            return f"{number(value * 100)}%"
        case "percent":
            return f"{number(value)}%"
        case "reqps":
            return f"{short(value)} req/s"
        case "ops":
            return f"{short(value)} ops/s"
        case "short":
            return short(value)
        case "none":
            return number(value)
        case other:
            return f"{short(value)} {other}"

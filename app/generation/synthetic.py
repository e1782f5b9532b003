"""A synthetic program of any size: the demo program's medium size with its teams scaled.

For benchmarks and scale tests (150, 300, 500 residents): three equal classes (interns; PGY-2
and PGY-3 pooled as seniors) and, with k = residents per class / 12, the demo's staffing and
coverage multiplied by k (spec/benchmark-program.md), the rest of the file as the demo's.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from app.generation.program import Program, parse_program


def scaled_program(residents: int) -> Program:
    """The demo program for about ``residents`` residents (rounded down to a multiple of 3)."""
    per_class = max(12, residents // 3)
    k = per_class // 12
    shipped = resources.files("app.generation").joinpath("data", "demo-program.json")
    data: dict[str, Any] = json.loads(shipped.read_text("utf-8"))
    medium = data.pop("sizes")["medium"]
    data |= medium
    data["name"] = f"Synthetic Internal Medicine ({3 * per_class} residents)"
    data["classes"] = [
        {"pgy": pgy, "group": "interns" if pgy == 1 else "seniors", "residents": per_class}
        for pgy in (1, 2, 3)
    ]
    per_block = {"WARDS": 4 * k, "ICU": 2 * k, "NF": 2 * k}
    data["staffing"] = {name: {"interns": n, "seniors": n} for name, n in per_block.items()} | {
        "AMB": {"interns": "rest", "seniors": "rest"}
    }
    for req in data["coverage"]:
        for field in ("exactly", "at_least"):
            if field in req:
                req[field] = k
    return parse_program(data)

"""Printing bench figures: percentiles and a table with ratios to a baseline from the same run."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000, q)) if len(seconds) else float("nan")


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))


def ratio(value: float, baseline: float) -> str:
    if not baseline or baseline != baseline or value != value:
        return "n/a"
    return f"{value / baseline:.2f}x"


def _fmt(cell: object) -> str:
    if isinstance(cell, float):
        return "n/a" if cell != cell else f"{cell:.1f}"
    return str(cell)

"""Small problem builders for the planner tests (hourly slots unless stated)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from open_hem_core.planner import GridConnection, Horizon, Problem


def hourly(n: int, **kw: Any) -> Problem:
    """A problem of ``n`` one-hour slots starting 2025-06-10 00:00 UTC."""
    horizon = Horizon(datetime(2025, 6, 10, tzinfo=UTC), n, 60, "UTC")
    kw.setdefault("import_price", [0.2] * n)
    kw.setdefault("export_price", [0.0] * n)
    kw.setdefault("base_load_w", [0.0] * n)
    kw.setdefault("grid", GridConnection(17250.0, 17250.0))
    return Problem(horizon=horizon, **kw)

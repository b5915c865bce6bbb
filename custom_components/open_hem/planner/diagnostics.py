"""The planning loop's part of the diagnostics: settings, figures and the plan's shape.

Nothing personal: no device names (only kinds), no wish values, no times of day, no history.
"""

from __future__ import annotations

from typing import Any

from .loop import PlanningLoop


def planner_diagnostics(loop: PlanningLoop | None) -> dict[str, Any] | None:
    """The loop's state (None before it is set up)."""
    return None if loop is None else loop.diagnostics()

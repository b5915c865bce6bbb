"""The planner's errors: one root, :class:`PlannerError`, for everything it raises itself."""

from __future__ import annotations

from typing import ClassVar

from ..errors import OpenHemError


class PlannerError(OpenHemError):
    """Anything the planner raises on purpose (catch this to catch them all)."""

    translation_key: ClassVar[str] = "planner_error"


class InvalidProblemError(PlannerError, ValueError):
    """Malformed input: an impossible device, a per-slot array of the wrong length, an unknown
    device kind. Also a ValueError, which is what the planner raised before it had its own
    errors, so callers that catch ValueError keep working."""

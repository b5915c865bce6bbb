"""The root of every error the core raises on purpose.

Each package has its own root below this one (``P1Error``, ``PriceError``, ``PlannerError``,
``S2Error``), so the integration can turn any of them into one translated message and callers
can catch a whole package's failures at once. ``translation_key`` names the integration's
exception text for the error (``exceptions.<key>`` in strings.json); the message itself stays
English, for the log.
"""

from __future__ import annotations

from typing import ClassVar


class OpenHemError(Exception):
    """Something the core could not do, with a message that says what and why."""

    translation_key: ClassVar[str] = "core_error"

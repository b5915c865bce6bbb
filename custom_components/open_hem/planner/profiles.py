"""Profiles and the priority ladder: which signal wins when they clash.

Device safety and the physical fuse are always hard; the rungs below are ordered by the
profile, or by the order the household set in the options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
import zlib

from ..core.planner import Ladder, Rung
from .const import CONF_LADDER, CONF_PROFILE, DEFAULT_PROFILE, Profile

PROFILE_ORDER: dict[Profile, tuple[Rung, ...]] = {
    Profile.GRID_AWARE: (Rung.GRID, Rung.WISHES, Rung.OWN_PRODUCTION, Rung.COST),
    Profile.CHEAPEST: (Rung.GRID, Rung.WISHES, Rung.COST),
    Profile.OWN_SOLAR: (Rung.GRID, Rung.OWN_PRODUCTION, Rung.WISHES, Rung.COST),
}
REQUIRED_RUNGS = frozenset({Rung.GRID, Rung.WISHES, Rung.COST})
ALL_RUNGS: tuple[str, ...] = tuple(r.value for r in Rung)


def profile_of(options: Mapping[str, Any]) -> Profile:
    """The profile in the options (or the public default)."""
    try:
        return Profile(options.get(CONF_PROFILE, DEFAULT_PROFILE))
    except ValueError:
        return DEFAULT_PROFILE


def valid_order(order: Sequence[str]) -> tuple[Rung, ...] | None:
    """The rungs in ``order`` when it is a valid ladder (each once, grid, wishes and cost)."""
    try:
        rungs = tuple(Rung(r) for r in order)
    except ValueError:
        return None
    if len(set(rungs)) != len(rungs) or not set(rungs) >= REQUIRED_RUNGS:
        return None
    return rungs


def ladder_order(profile: Profile, custom: Sequence[str] | None) -> tuple[Rung, ...]:
    """The household's own order if it set a valid one, else the profile's."""
    if custom:
        rungs = valid_order(custom)
        if rungs is not None:
            return rungs
    return PROFILE_ORDER[profile]


def ladder_for(profile: Profile, custom: Sequence[str] | None, household_id: str) -> Ladder:
    """The planner's ladder; grid-aware spreads load with a per-household tie-break."""
    seed = zlib.crc32(household_id.encode()) if profile is Profile.GRID_AWARE else None
    return Ladder(order=ladder_order(profile, custom), tie_break_seed=seed)


def custom_ladder(options: Mapping[str, Any]) -> list[str] | None:
    """The ladder order set in the options, if any."""
    value = options.get(CONF_LADDER)
    return list(value) if value else None

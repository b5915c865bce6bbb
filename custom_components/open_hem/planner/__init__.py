"""The planning loop feature: the only part that knows planner, S2 and prices together.

- ``loop``: :class:`~.loop.PlanningLoop`, the cycle (inputs -> Problem -> plan() in the
  executor -> each device its part), its triggers and its store.
- ``inputs``: one small function per thing read from the other features (P1 net power,
  priced series, device measurements, grid-limit windows).
- ``forecasts``: base load (recorder statistics), PV (Energy dashboard), outdoor temperature.
- ``wishes``, ``profiles``: the household's wishes per device; profiles and the ladder.
- ``snapshot``: the plan in force as plain data (entities, calendar, ``get_plan``, store).
- entities (``sensor``, ``binary_sensor``, ``number``, ``time``, ``select``, ``calendar``),
  ``services``, ``diagnostics``, ``config_flow`` (profile and ladder options).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from ..data import OpenHemConfigEntry
from .loop import PlanningLoop


async def async_setup_planner(hass: HomeAssistant, entry: OpenHemConfigEntry) -> PlanningLoop:
    """Start the entry's planning loop (restored from its store; the first plan follows)."""
    loop = PlanningLoop(hass, entry)
    await loop.async_start()
    entry.async_on_unload(loop.async_stop)
    return loop

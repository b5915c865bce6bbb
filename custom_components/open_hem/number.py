"""Number entities of Open HEM: each feature adds its own."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import OpenHemConfigEntry
from .demo import number as demo
from .planner import number as planner

# Entities read the features' data (pushed): no polling limit needed.
PARALLEL_UPDATES = 0

FEATURES = (planner, demo)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Hand over to every feature's number entities (one signature: HA's platform setup)."""
    for feature in FEATURES:
        await feature.async_setup_entry(hass, entry, async_add_entities)

"""Binary sensors of Open HEM: each feature adds its own."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import OpenHemConfigEntry
from .demo import binary_sensor as demo
from .planner import binary_sensor as planner
from .prices import binary_sensor as prices

# Binary sensors read the features' data: no polling limit needed.
PARALLEL_UPDATES = 0

FEATURES = (prices, planner, demo)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Hand over to every feature's binary sensors (one signature: HA's platform setup)."""
    for feature in FEATURES:
        await feature.async_setup_entry(hass, entry, async_add_entities)

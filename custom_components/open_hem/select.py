"""Selects of Open HEM: each feature adds its own."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import OpenHemConfigEntry
from .devices import select as devices

# Selects act on S2 sessions, which order their own messages: no limit needed.
PARALLEL_UPDATES = 0

FEATURES = (devices,)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Hand over to every feature's selects (one signature: HA's platform setup)."""
    for feature in FEATURES:
        await feature.async_setup_entry(hass, entry, async_add_entities)

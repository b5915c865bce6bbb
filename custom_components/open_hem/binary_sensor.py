"""Binary sensors of Open HEM."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import OpenHemConfigEntry
from .price_sensor import async_add_price_binary_sensors

# Binary sensors read the coordinators' data: no polling limit needed.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up Open HEM binary sensors."""
    async_add_price_binary_sensors(entry, async_add_entities)

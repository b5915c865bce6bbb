"""Sensors of Open HEM."""

from __future__ import annotations

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import OpenHemConfigEntry
from .demo import sensor as demo
from .devices.native import sensor as native
from .entity import OpenHemHubEntity
from .p1 import sensor as p1
from .planner import sensor as planner
from .prices import sensor as prices

# Sensors only read runtime data or push from their own sources: no polling limit needed.
PARALLEL_UPDATES = 0

FEATURES = (prices, p1, native, planner, demo)

CONNECTION_LIMIT = SensorEntityDescription(
    key="connection_limit",
    translation_key="connection_limit",
    device_class=SensorDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The hub's own sensor, then every feature's (one signature: HA's platform setup)."""
    async_add_entities([ConnectionLimitSensor(entry, CONNECTION_LIMIT)])
    for feature in FEATURES:
        await feature.async_setup_entry(hass, entry, async_add_entities)


class ConnectionLimitSensor(OpenHemHubEntity, SensorEntity):
    """The grid connection's limit: the hard bound every plan respects."""

    def __init__(self, entry: OpenHemConfigEntry, description: SensorEntityDescription) -> None:
        """Read the limit from the runtime data; it changes only with a reload."""
        super().__init__(entry, description)
        self._attr_native_value = entry.runtime_data.connection_limit_w

"""Base entity for Open HEM."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .data import OpenHemConfigEntry


def hub_device_info(entry: OpenHemConfigEntry) -> DeviceInfo:
    """The Open HEM hub: the energy manager itself, a service rather than hardware."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Open HEM",
        model="Home energy manager",
        name="Open HEM",
    )


class OpenHemHubEntity(Entity):
    """An entity that belongs to the Open HEM hub device."""

    _attr_has_entity_name = True

    def __init__(self, entry: OpenHemConfigEntry, description: EntityDescription) -> None:
        """Attach the entity to the hub device with a stable unique id."""
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = hub_device_info(entry)

"""The one entity base of Open HEM: translated names, unique ids and devices done once.

Features describe their entities with ``EntityDescription`` dataclasses carrying a ``value_fn``
(as core's homewizard and peblar do) and derive their entity classes from :class:`OpenHemEntity`.
A unique id is ``<owner id>_<description key>``: the owner is the hub entry for hub entities
and the subentry for a meter's or device's entities. Never change a key: the unique id (and so
users' history and statistics) hangs on it.
"""

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


class OpenHemEntity(Entity):
    """An Open HEM entity: named by its translation key, pushed (never polled)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        owner_id: str,
        description: EntityDescription,
        device_info: DeviceInfo,
        placeholders: dict[str, str] | None = None,
    ) -> None:
        """Attach the entity to its device with the unique id ``<owner_id>_<key>``."""
        self.entity_description = description
        self._attr_unique_id = f"{owner_id}_{description.key}"
        self._attr_device_info = device_info
        if placeholders:
            self._attr_translation_placeholders = placeholders


class OpenHemHubEntity(OpenHemEntity):
    """An entity of the Open HEM hub device itself."""

    def __init__(self, entry: OpenHemConfigEntry, description: EntityDescription) -> None:
        """Owned by the hub entry."""
        super().__init__(entry.entry_id, description, hub_device_info(entry))

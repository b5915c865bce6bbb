"""The demo devices' entity base: one HA device per simulated device, pushed after every step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN
from ..data import OpenHemConfigEntry
from ..entity import OpenHemEntity
from .const import entity_id
from .home import DemoHome


def demo_device_info(entry: OpenHemConfigEntry, device: str) -> DeviceInfo:
    """A simulated device (named by translation: "Demo battery", "Demobatterij", ...)."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{entry.entry_id}_{device}")},
        translation_key=device,
        manufacturer="Open HEM",
        model="Simulated device",
    )


class DemoEntity(OpenHemEntity):
    """An entity of a demo device: unique id ``<entry id>_<device>_<key>``, fixed entity id
    (the demo's subentries name it), written whenever the home changes."""

    domain: ClassVar[str]

    def __init__(
        self, entry: OpenHemConfigEntry, home: DemoHome, device: str, description: EntityDescription
    ) -> None:
        """Attach to the demo device and the home."""
        super().__init__(f"{entry.entry_id}_{device}", description, demo_device_info(entry, device))
        self.entity_id = entity_id(self.domain, device, description.key)
        self.home = home

    async def async_added_to_hass(self) -> None:
        """Write the state after every step and command."""
        await super().async_added_to_hass()
        self.async_on_remove(self.home.async_add_listener(self.async_write_ha_state))


def add_demo_entities(
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity_class: type[DemoEntity],
    descriptions: Iterable[tuple[str, EntityDescription]],
) -> None:
    """Add an ``entity_class`` per (device, description), only in the demo home."""
    if (demo := entry.runtime_data.demo) is None:
        return
    async_add_entities(
        entity_class(entry, demo.home, device, description) for device, description in descriptions
    )

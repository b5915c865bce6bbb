"""What the planner's entities share: the loop as their source, the devices they sit on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN
from ..data import OpenHemConfigEntry
from ..devices.hub import ControlledDevice
from ..entity import OpenHemEntity, OpenHemHubEntity
from .loop import PlanningLoop


def device_info(entry: OpenHemConfigEntry, device: ControlledDevice) -> DeviceInfo:
    """The device's own device (the device feature names it; this only links to it)."""
    return DeviceInfo(identifiers={(DOMAIN, device.subentry_id)}, name=device.name)


def the_loop(entry: OpenHemConfigEntry) -> PlanningLoop:
    loop = entry.runtime_data.planner
    assert loop is not None  # set up before the platforms
    return loop


class PlanListener(Entity):
    """Writes its state whenever the loop has a new plan, wish or limit (only the latter
    when it does not follow plans)."""

    loop: PlanningLoop
    follows_plans: ClassVar[bool] = True

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.loop.async_add_listener(self._on_loop, plans=self.follows_plans))

    def _on_loop(self) -> None:
        self.async_write_ha_state()


class PlanHubEntity(PlanListener, OpenHemHubEntity):
    """A planner entity on the Open HEM hub device."""

    def __init__(self, entry: OpenHemConfigEntry, description: EntityDescription) -> None:
        super().__init__(entry, description)
        self.loop = the_loop(entry)


class PlanDeviceEntity(PlanListener, OpenHemEntity):
    """A planner entity on a controlled device's own device."""

    def __init__(
        self, entry: OpenHemConfigEntry, device: ControlledDevice, description: EntityDescription
    ) -> None:
        super().__init__(device.subentry_id, description, device_info(entry, device))
        self.loop = the_loop(entry)
        self.subentry_id = device.subentry_id
        self.hub = entry.runtime_data.devices

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        if not self.follows_plans:
            # Its availability follows the hub (a device that leaves it).
            self.async_on_remove(self.hub.async_add_listener(self._on_loop))

    @property
    def available(self) -> bool:
        return self.hub.get(self.subentry_id) is not None

    @property
    def device(self) -> ControlledDevice | None:
        return self.hub.get(self.subentry_id)


def add_device_entities(
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[ControlledDevice], Iterable[Entity]],
) -> None:
    """Add ``build(device)`` for every device now and every device that joins the hub later."""
    added: set[str] = set()

    def add_new() -> None:
        for device in entry.runtime_data.devices:
            if device.subentry_id in added:
                continue
            added.add(device.subentry_id)
            entities = list(build(device))
            if not entities:
                continue
            if device.subentry_id in entry.subentries:
                async_add_entities(entities, config_subentry_id=device.subentry_id)
            else:
                async_add_entities(entities)

    add_new()
    entry.async_on_unload(entry.runtime_data.devices.async_add_listener(add_new))

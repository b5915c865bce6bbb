"""The control type of an S2 device, as a select the user can change.

The options are the control types the RM offers; choosing one activates it at once
(SelectControlType) and remembers it in the device's subentry, so it is used again after a
reconnect or a restart. Unavailable while the RM is not connected.
"""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ...data import OpenHemConfigEntry
from .const import CONTROL_TYPE_OPTIONS
from .entity import S2DeviceEntity
from .manager import S2Device

CONTROL_TYPE = SelectEntityDescription(
    key="control_type",
    translation_key="s2_control_type",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One control type select per S2 device, also for devices added later."""
    devices = entry.runtime_data.s2
    if devices is None:
        return

    @callback
    def setup_device(device: S2Device) -> None:
        async_add_entities(
            [S2ControlTypeSelect(device, CONTROL_TYPE)],
            config_subentry_id=device.subentry_id,
        )

    for device in devices.devices.values():
        setup_device(device)
    entry.async_on_unload(devices.async_on_device_added(setup_device))


class S2ControlTypeSelect(S2DeviceEntity, SelectEntity):
    """The active S2 control type."""

    def _refresh(self) -> None:
        session = self.device.session
        details = None if session is None else session.rm_details
        offered = (
            [c.value.lower() for c in details.available_control_types]
            if details is not None
            else []
        )
        self._attr_options = [o for o in CONTROL_TYPE_OPTIONS if o in offered] or list(
            CONTROL_TYPE_OPTIONS
        )
        active = None if session is None else session.active_control_type
        current = None if active is None else active.value.lower()
        self._attr_current_option = current if current in self._attr_options else None

    async def async_select_option(self, option: str) -> None:
        """Activate ``option`` now and after every reconnect."""
        await self.device.async_select_control_type(option)

"""The mode select of every entity-backed device: auto, manual or off.

*Auto*: planned and controlled. *Manual*: planned around (its use is expected) but never
instructed: the owner drives it. *Off*: left out of planning. Leaving *auto* gives the
device back to its owner's default. The choice survives restarts (restored state).
"""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from ..const import DOMAIN
from ..data import OpenHemConfigEntry
from ..entity import OpenHemEntity
from .hub import ControlledDevice, DeviceMode

MODE = SelectEntityDescription(
    key="mode",
    translation_key="device_mode",
    options=[mode.value for mode in DeviceMode],
)


def device_info(entry: OpenHemConfigEntry, subentry: ConfigSubentry) -> DeviceInfo:
    """A device of Open HEM's, one per subentry."""
    return DeviceInfo(
        identifiers={(DOMAIN, subentry.subentry_id)},
        name=subentry.title,
        manufacturer="Open HEM",
        model=f"Entity-backed {subentry.subentry_type.replace('_', ' ')}",
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A mode select per entity-backed device that is set up."""
    for device in entry.runtime_data.devices:
        subentry = entry.subentries.get(device.subentry_id)
        if subentry is None or device.kind.value != subentry.subentry_type:
            continue
        async_add_entities(
            [DeviceModeSelect(entry, subentry, device)], config_subentry_id=subentry.subentry_id
        )


class DeviceModeSelect(OpenHemEntity, SelectEntity, RestoreEntity):
    """Auto, manual or off for one device."""

    def __init__(
        self, entry: OpenHemConfigEntry, subentry: ConfigSubentry, device: ControlledDevice
    ) -> None:
        """Attach to the device's own Home Assistant device."""
        super().__init__(subentry.subentry_id, MODE, device_info(entry, subentry))
        self._entry = entry
        self._device = device

    @property
    def current_option(self) -> str:
        """The device's mode."""
        return self._device.mode.value

    async def async_added_to_hass(self) -> None:
        """Take the mode it had before a restart."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state in MODE.options:  # type: ignore[operator]
            self._set(DeviceMode(last.state))

    async def async_select_option(self, option: str) -> None:
        """Change the mode (leaving auto returns the device to its owner's default)."""
        self._set(DeviceMode(option))
        self.async_write_ha_state()

    def _set(self, mode: DeviceMode) -> None:
        if mode is not self._device.mode:
            self._device.mode = mode
            self._entry.runtime_data.devices.notify()

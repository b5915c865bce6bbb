"""The entity base of S2 devices: one device per subentry, pushed by the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription

from ...const import DOMAIN
from ...entity import OpenHemEntity
from .manager import S2Device


def device_info(device: S2Device) -> DeviceInfo:
    """The S2 device; manufacturer, model, firmware and serial follow from the RM's details."""
    session = device.session
    details = None if session is None else session.rm_details
    if details is None:
        return DeviceInfo(identifiers={(DOMAIN, device.subentry_id)}, name=device.title)
    return DeviceInfo(
        identifiers={(DOMAIN, device.subentry_id)},
        name=device.title,
        manufacturer=details.manufacturer,
        model=details.model,
        sw_version=details.firmware_version,
        serial_number=details.serial_number,
    )


class S2DeviceEntity(OpenHemEntity):
    """An entity of an S2 device: unavailable while the RM is not connected.

    Subclasses set their ``_attr_*`` in :meth:`_refresh`; the state is written only when
    that changed something (sessions report every received frame).
    """

    def __init__(self, device: S2Device, description: EntityDescription) -> None:
        """Owned by the device's subentry."""
        super().__init__(device.subentry_id, description, device_info(device))
        self.device = device
        self._last: Any = None
        self._refresh()

    @property
    def available(self) -> bool:
        """Only while the RM is connected and known."""
        return self.device.connected

    def _refresh(self) -> None:
        """Read the device into ``_attr_*``."""

    def _fingerprint(self) -> Any:
        return (self.available, self.state, self.extra_state_attributes)

    async def async_added_to_hass(self) -> None:
        """Follow the device."""
        await super().async_added_to_hass()
        self._last = self._fingerprint()
        self.async_on_remove(self.device.async_add_listener(self._handle_update))

    @callback
    def _handle_update(self) -> None:
        self._refresh()
        now = self._fingerprint()
        if now != self._last:
            self._last = now
            self.async_write_ha_state()


type EntityFactory = Callable[[S2Device], list[S2DeviceEntity]]

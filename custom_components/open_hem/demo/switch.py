"""The demo EV charger's charging switch."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import EV_CHARGER
from .entity import DemoEntity, add_demo_entities

CHARGING = SwitchEntityDescription(key="charging", translation_key="demo_charging")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The demo charger's switch (only in the demo home)."""
    add_demo_entities(entry, async_add_entities, DemoChargingSwitch, [(EV_CHARGER, CHARGING)])


class DemoChargingSwitch(DemoEntity, SwitchEntity):
    """Charging allowed (at the set current) or paused."""

    domain = "switch"

    @property
    def is_on(self) -> bool:
        """Read from the home."""
        return self.home.ev_charging

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Allow charging."""
        self.home.set_ev(charging=True)
        self.home.async_changed()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause charging."""
        self.home.set_ev(charging=False)
        self.home.async_changed()

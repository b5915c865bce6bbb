"""The demo battery's mode: its own self-consumption, or remote control (follows the setpoint)."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import BATTERY, BATTERY_MODES, MODE_REMOTE, MODE_SELF_CONSUMPTION
from .entity import DemoEntity, add_demo_entities

MODE = SelectEntityDescription(
    key="mode", translation_key="demo_battery_mode", options=list(BATTERY_MODES)
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The demo battery's mode select (only in the demo home)."""
    add_demo_entities(entry, async_add_entities, DemoBatteryMode, [(BATTERY, MODE)])


class DemoBatteryMode(DemoEntity, SelectEntity):
    """Who decides the battery's power."""

    domain = "select"

    @property
    def current_option(self) -> str:
        """Read from the home."""
        return MODE_REMOTE if self.home.battery_remote else MODE_SELF_CONSUMPTION

    async def async_select_option(self, option: str) -> None:
        """Tell the sim."""
        self.home.set_battery_remote(option == MODE_REMOTE)
        self.home.async_changed()

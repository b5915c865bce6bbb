"""The demo dishwasher's start button."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..data import OpenHemConfigEntry
from .const import DISHWASHER
from .entity import DemoEntity, add_demo_entities

START = ButtonEntityDescription(key="start", translation_key="demo_start")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OpenHemConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The demo dishwasher's button (only in the demo home)."""
    add_demo_entities(entry, async_add_entities, DemoStartButton, [(DISHWASHER, START)])


class DemoStartButton(DemoEntity, ButtonEntity):
    """Starts the programme (a running dishwasher ignores it)."""

    domain = "button"

    async def async_press(self) -> None:
        """Tell the sim."""
        self.home.start_dishwasher()
        self.home.async_changed()

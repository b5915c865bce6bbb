"""Open HEM: open, local home energy management for Home Assistant."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .data import OpenHemConfigEntry, OpenHemData
from .demo import async_setup_demo, is_demo
from .devices.entity_backed import async_setup_entity_devices
from .devices.native import async_remove_devices, async_setup_devices
from .frontend import async_register_frontend
from .p1.coordinator import async_start_p1_meters
from .planner import async_setup_planner
from .prices.coordinator import async_setup_prices
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.TIME,
]
# Only the demo home has buttons, climate entities and switches (its simulated devices'):
# a real home leaves those domains to their own integrations.
DEMO_PLATFORMS: list[Platform] = [Platform.BUTTON, Platform.CLIMATE, Platform.SWITCH]


def _platforms(entry: OpenHemConfigEntry) -> list[Platform]:
    return PLATFORMS + DEMO_PLATFORMS if is_demo(entry) else PLATFORMS


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up Open HEM's actions (they validate the entry when called) and its plan card."""
    async_setup_services(hass)
    await async_register_frontend(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: OpenHemConfigEntry) -> bool:
    """Set up Open HEM from its config entry."""
    entry.runtime_data = OpenHemData.from_entry(entry)
    # Prices load from the cache at once and fetch in the background: setup never waits for them.
    entry.runtime_data.prices = await async_setup_prices(hass, entry)
    # The demo home's meter server listens before the meters connect.
    entry.runtime_data.demo = await async_setup_demo(hass, entry)
    await async_start_p1_meters(hass, entry)
    await async_setup_entity_devices(hass, entry)
    entry.runtime_data.s2 = await async_setup_devices(hass, entry)
    entry.runtime_data.planner = await async_setup_planner(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    if (demo := entry.runtime_data.demo) is not None:
        demo.async_start_s2(entry)  # its RM connects to the S2 endpoint set up above
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_update))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: OpenHemConfigEntry) -> bool:
    """Unload Open HEM; everything it started is stopped by the unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, _platforms(entry))


async def async_remove_entry(hass: HomeAssistant, entry: OpenHemConfigEntry) -> None:
    """Open HEM is deleted: nothing of it stays in the storage."""
    await async_remove_devices(hass)


async def _async_reload_on_update(hass: HomeAssistant, entry: OpenHemConfigEntry) -> None:
    """Reload when the entry's settings change so every part sees the new values.

    S2 devices added, deleted or changed are applied live instead (no reload).
    """
    if (s2 := entry.runtime_data.s2) is not None and await s2.async_entry_updated(entry):
        return
    hass.config_entries.async_schedule_reload(entry.entry_id)

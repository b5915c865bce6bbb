"""Setting up and unloading the Open HEM hub entry."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.open_hem.const import DOMAIN


async def test_setup_creates_hub_device_and_sensor(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The hub device appears with the connection-limit sensor."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED

    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, mock_config_entry.entry_id), mock_config_entry.entry_id
    )
    assert device is not None
    assert device.name == "Open HEM"
    assert device.entry_type is dr.DeviceEntryType.SERVICE

    entity_id = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"{mock_config_entry.entry_id}_connection_limit"
    )
    assert entity_id == "sensor.open_hem_grid_connection_limit"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "17250"
    assert state.attributes["unit_of_measurement"] == "W"
    assert state.attributes["device_class"] == "power"


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Unload stops everything; the harness fails the test on lingering tasks or timers."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    state = hass.states.get("sensor.open_hem_grid_connection_limit")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE

    assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.open_hem_grid_connection_limit") is None

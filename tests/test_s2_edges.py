"""Edges of the S2 devices feature: storage faults, removal, reloads, readings without data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.s2 import CemSession, InstructionRecord
from custom_components.open_hem.core.s2.control import FRBCHandler
from custom_components.open_hem.devices.native import readings
from custom_components.open_hem.devices.native.const import (
    CONF_CONTROL_TYPE,
    CONF_NODE_ID,
    SUBENTRY_S2_DEVICE,
)
from custom_components.open_hem.devices.native.diagnostics import s2_devices_diagnostics
from custom_components.open_hem.devices.native.tokens import DeviceTokens, async_get_tokens
from tests.core.s2.devices import Battery
from tests.entries import hub_entry
from tests.s2_helpers import BatteryRm, Rm, asset, wait_for

NODE_ID = "5e1f0c2a-1111-4222-8333-444455556666"
SUBENTRY_ID = "01S2DEVICE0000000000000001"
TOKEN = "edge-test-token-0123456789abcdefghijklmnop"


def _s2_hub() -> MockConfigEntry:
    return hub_entry(
        subentries=[
            ConfigSubentryData(
                subentry_id=SUBENTRY_ID,
                subentry_type=SUBENTRY_S2_DEVICE,
                title="Boiler",
                unique_id=NODE_ID,
                data={CONF_NODE_ID: NODE_ID, CONF_CONTROL_TYPE: "automatic"},
            )
        ]
    )


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_without_http_devices_exist_but_cannot_connect(
    hass: HomeAssistant, caplog: Any
) -> None:
    """No HTTP server (only in tests): a warning, and the devices are still there."""
    entry = _s2_hub()
    await _set_up(hass, entry)
    assert "S2 devices cannot connect" in caplog.text
    assert entry.runtime_data.s2 is not None
    assert entry.runtime_data.s2.devices[SUBENTRY_ID].state == "disconnected"
    entry.runtime_data.s2 = None
    assert s2_devices_diagnostics(entry) is None


async def test_unreadable_tokens_fail_closed_and_removal_forgets_them(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A broken token file refuses every device; removing Open HEM deletes the file."""
    tokens = DeviceTokens(hass)
    with patch(
        "custom_components.open_hem.devices.native.tokens.Store.async_load",
        side_effect=HomeAssistantError("broken"),
    ):
        await tokens.async_load()
    assert not tokens.valid(NODE_ID, TOKEN)

    shared = await async_get_tokens(hass)
    await shared.async_set(NODE_ID, TOKEN)
    assert "open_hem.s2_device_tokens" in hass_storage
    entry = _s2_hub()
    await _set_up(hass, entry)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert "open_hem.s2_device_tokens" not in hass_storage
    assert not shared.valid(NODE_ID, TOKEN)


async def test_stale_tokens_are_revoked_at_setup(hass: HomeAssistant) -> None:
    """A device deleted while Open HEM was not running keeps no token."""
    tokens = await async_get_tokens(hass)
    await tokens.async_set("deleted-node", TOKEN)
    await tokens.async_set(NODE_ID, TOKEN)
    await _set_up(hass, _s2_hub())
    assert "deleted-node" not in tokens
    assert NODE_ID in tokens


async def test_other_changes_still_reload_and_revoke_without_a_session(
    hass: HomeAssistant,
) -> None:
    """A hub setting changes: a reload as before; a token revoked with no session is fine."""
    entry = _s2_hub()
    await _set_up(hass, entry)
    devices = entry.runtime_data.s2
    assert devices is not None
    devices.async_token_revoked(NODE_ID)  # no session: nothing to end
    devices.async_token_revoked("unknown-node")
    device = devices.devices[SUBENTRY_ID]
    device._update_device_registry()  # no session: nothing to update
    await device.async_apply_preference("operation_mode_based_control")
    assert device.control_type == "operation_mode_based_control"
    hass.config_entries.async_update_entry(entry, options={"markup": 0.01})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.s2 is not devices  # reloaded


async def test_fill_level_in_degrees_and_registry_device_missing(
    hass: HomeAssistant, hass_client_no_auth: Any
) -> None:
    """A hot-water buffer's fill level in °C becomes a temperature sensor."""
    assert await async_setup_component(hass, "http", {})
    tokens = await async_get_tokens(hass)
    await tokens.async_set(NODE_ID, TOKEN)
    entry = _s2_hub()
    await _set_up(hass, entry)
    client = await hass_client_no_auth()

    class Buffer(Battery):
        def system_description(self) -> Any:
            sd = super().system_description()
            sd.storage.fill_level_label = "°C"
            return sd

    rm_type = BatteryRm(Buffer(fill=55.0))
    rm = Rm([rm_type], asset())
    try:
        await rm.connect(client, f"/api/open_hem/s2/{NODE_ID}", TOKEN)
        await wait_for(rm_type.active.is_set)
        await hass.async_block_till_done()
        entity_id = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{SUBENTRY_ID}_fill_level"
        )
        assert entity_id is not None
        await wait_for(lambda: (s := hass.states.get(entity_id)) and s.state == "55.0")
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["unit_of_measurement"] == "°C"
        assert state.attributes["device_class"] == "temperature"
        device = entry.runtime_data.s2.devices[SUBENTRY_ID]  # type: ignore[union-attr]
        with patch.object(device, "subentry_id", "gone"):
            device._update_device_registry()  # the device is not registered: nothing to do
    finally:
        await rm.stop()


def test_readings_without_data() -> None:
    """Readings of no session, of unknown actuators and of sent instructions."""

    async def send(text: str) -> None:
        return None

    assert readings.phase_power(None, "1") is None
    assert readings.phases_reported(None) == set()
    assert readings.system_description(None) is None
    assert readings.last_instruction_status(None) is None
    session = CemSession(send)
    assert readings.fill_level_label(session) is None
    handler = FRBCHandler()
    battery = Battery()
    handler.system_description = battery.system_description()
    handler.actuator_status["not-an-actuator"] = battery.actuator_status()
    session.control = handler
    assert readings.operation_modes(session) == {
        "not-an-actuator": battery.idle,
    }
    session.instructions["i-1"] = InstructionRecord(
        "i-1", "FRBC.Instruction", datetime(2026, 1, 1, tzinfo=UTC), (), status="ACCEPTED"
    )
    assert readings.last_instruction_status(session) == "accepted"
    assert readings._json({"a": None}) == {"a": None}

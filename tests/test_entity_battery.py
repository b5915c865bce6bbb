"""An entity-backed home battery from subentry to service calls, and back to its default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.planner import Battery
from custom_components.open_hem.core.s2 import PowerPlan
from custom_components.open_hem.devices.hub import DeviceKind, DeviceMode
from tests.entity_devices import (
    BATTERY,
    BATTERY_MODE,
    BATTERY_POWER,
    SETPOINT,
    SOC,
    async_setup_entry_with,
    async_setup_helpers,
    device_named,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SLOT = timedelta(minutes=15)


def _value(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def _travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_plan_becomes_setpoints_at_the_right_times(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, device_registry: dr.DeviceRegistry
) -> None:
    """A power plan handed to the session sets the battery's number at each slot's start."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    entry = await async_setup_entry_with(hass, BATTERY)
    device = device_named(entry, "Battery")
    assert device.kind is DeviceKind.BATTERY
    assert device.ready
    subentry_id = device.subentry_id
    assert device_registry.async_get_device_by_identifier((DOMAIN, subentry_id), entry.entry_id)
    assert _value(hass, "select.battery_mode") == "auto"

    starts = tuple(T0 + i * SLOT for i in range(4))
    model = device.planner_model(starts, SLOT)
    assert isinstance(model, Battery)
    assert model.soc_initial == 0.5

    # HA counts battery power discharge-positive (the default option): S2 + charging.
    await device.session.apply_plan(PowerPlan(starts, SLOT, (2000.0, 2000.0, -3000.0, 0.0)))
    await hass.async_block_till_done()
    assert _value(hass, BATTERY_MODE) == "remote_control"
    assert float(_value(hass, SETPOINT)) == -2000.0
    await _travel(hass, freezer, 2 * SLOT)
    assert float(_value(hass, SETPOINT)) == 3000.0
    await _travel(hass, freezer, SLOT)
    assert float(_value(hass, SETPOINT)) == 0.0
    assert {r.status for r in device.session.instructions.values()} == {"SUCCEEDED"}

    # The measurement reaches the session in S2's sign.
    hass.states.async_set(BATTERY_POWER, "1500", {"unit_of_measurement": "W"})
    await hass.async_block_till_done()
    assert device.session.measurements["ELECTRIC.POWER.L1"].value_w == -1500.0

    # Unload: back to self-consumption.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _value(hass, BATTERY_MODE) == "self_consumption"
    assert float(_value(hass, SETPOINT)) == 0.0
    assert device.session.closed


async def test_manual_and_off_issue_no_commands(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """In manual or off the session's instructions are refused; leaving auto restores."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    entry = await async_setup_entry_with(hass, BATTERY)
    device = device_named(entry, "Battery")
    starts = tuple(T0 + i * SLOT for i in range(2))
    await device.session.apply_plan(PowerPlan(starts, SLOT, (1000.0, -1000.0)))
    await hass.async_block_till_done()
    assert float(_value(hass, SETPOINT)) == -1000.0

    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.battery_mode", "option": "manual"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert device.mode is DeviceMode.MANUAL
    # Given back at once: the pending instruction is aborted, the owner's mode restored.
    assert _value(hass, BATTERY_MODE) == "self_consumption"
    assert float(_value(hass, SETPOINT)) == 0.0
    assert "ABORTED" in {r.status for r in device.session.instructions.values()}
    assert isinstance(device.planner_model(starts, SLOT), Battery)  # planned around

    await device.session.apply_plan(PowerPlan(starts, SLOT, (2500.0, 0.0)))
    await hass.async_block_till_done()
    await _travel(hass, freezer, 2 * SLOT)
    assert float(_value(hass, SETPOINT)) == 0.0
    assert "REJECTED" in {r.status for r in device.session.instructions.values()}

    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.battery_mode", "option": "off"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert device.planner_model(starts, SLOT) is None
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.battery_mode", "option": "auto"},
        blocking=True,
    )
    await hass.async_block_till_done()
    now = T0 + 2 * SLOT
    await device.session.apply_plan(PowerPlan((now,), SLOT, (1200.0,)))
    await hass.async_block_till_done()
    assert float(_value(hass, SETPOINT)) == -1200.0


async def test_unavailable_battery_is_reported_and_given_back(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, issue_registry: ir.IssueRegistry
) -> None:
    """All state entities unavailable for 5 minutes: a repair issue, the owner's default."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    entry = await async_setup_entry_with(hass, BATTERY)
    device = device_named(entry, "Battery")
    starts = tuple(T0 + i * SLOT for i in range(2))
    await device.session.apply_plan(PowerPlan(starts, SLOT, (1000.0, 1000.0)))
    await hass.async_block_till_done()
    assert _value(hass, BATTERY_MODE) == "remote_control"

    hass.states.async_set(SOC, STATE_UNAVAILABLE)
    hass.states.async_set(BATTERY_POWER, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    await _travel(hass, freezer, timedelta(minutes=2))
    assert _value(hass, BATTERY_MODE) == "remote_control"  # not yet
    await _travel(hass, freezer, timedelta(minutes=4))
    assert _value(hass, BATTERY_MODE) == "self_consumption"
    assert issue_registry.async_get_issue(DOMAIN, f"device_unavailable_{device.subentry_id}")
    assert device.planner_model(starts, SLOT) is None

    hass.states.async_set(SOC, "55", {"unit_of_measurement": "%"})
    await hass.async_block_till_done()
    assert not issue_registry.async_get_issue(DOMAIN, f"device_unavailable_{device.subentry_id}")
    assert device.planner_model(starts, SLOT) is not None
    await device.session.apply_plan(PowerPlan(starts, SLOT, (0.0, 800.0)))
    await _travel(hass, freezer, SLOT)
    assert float(_value(hass, SETPOINT)) == -800.0


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_stop_returns_battery_to_default(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant stopping gives the battery back to its owner."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    entry = await async_setup_entry_with(hass, BATTERY)
    device = device_named(entry, "Battery")
    await device.session.apply_plan(PowerPlan((T0,), SLOT, (-2000.0,)))
    await hass.async_block_till_done()
    assert float(_value(hass, SETPOINT)) == 2000.0
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert float(_value(hass, SETPOINT)) == 0.0
    assert _value(hass, BATTERY_MODE) == "self_consumption"
    assert device.session.closed
    assert await hass.config_entries.async_unload(entry.entry_id)

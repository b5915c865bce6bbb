"""Entity-backed EV charger, heat pump, PV inverter and appliance: plans become service calls
at the right times, and each goes back to its owner's default on unload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.open_hem.core.planner import EVCharger, HeatPump, PVInverter
from custom_components.open_hem.core.planner.devices import HotWaterBuffer, ThermalHouse
from custom_components.open_hem.core.s2 import PowerPlan
from custom_components.open_hem.core.s2.control import ProfileSchedule, ShiftableLoad
from tests.entity_devices import (
    CAR_SOC,
    CHARGING,
    CLIMATE,
    CURRENT,
    EV_POWER,
    HP_LIMIT,
    HP_POWER,
    HP_SWITCH,
    INDOOR,
    PLUGGED,
    PV_LIMIT,
    PV_POWER,
    READY,
    RUNNING,
    START,
    TANK,
    WATER_HEATER,
    async_setup_entry_with,
    async_setup_helpers,
    device_named,
    subentry,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(4))


def _value(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def _travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_ev_charger_envelopes_soc_and_default(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """PEBC without the car's SOC (current, 6 A minimum, switch off below it), FRBC with it."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    entry = await async_setup_entry_with(
        hass,
        subentry(
            "ev_charger",
            "Wallbox",
            plugged_entity=PLUGGED,
            power_entity=EV_POWER,
            car_soc_entity=CAR_SOC,
            current_entity=CURRENT,
            switch_entity=CHARGING,
        ),
    )
    device = device_named(entry, "Wallbox")
    assert device.session.active_control_type.value == "POWER_ENVELOPE_BASED_CONTROL"
    model = device.planner_model(STARTS, SLOT)
    assert isinstance(model, EVCharger)
    assert model.min_w == 6 * 3 * 230
    assert model.energy_wh > 0

    await device.session.apply_plan(PowerPlan(STARTS, SLOT, (8000.0, 8000.0, 0.0, 4140.0)))
    await hass.async_block_till_done()
    assert float(_value(hass, CURRENT)) == 11.5
    assert _value(hass, CHARGING) == "on"
    await _travel(hass, freezer, 2 * SLOT)
    assert _value(hass, CHARGING) == "off"
    await _travel(hass, freezer, SLOT)
    assert float(_value(hass, CURRENT)) == 6.0
    assert _value(hass, CHARGING) == "on"

    # The car's SOC appears: FRBC, with the target from the owner's settings.
    heard: list[int] = []
    entry.runtime_data.devices.async_add_listener(lambda: heard.append(1))
    hass.states.async_set(CAR_SOC, "40", {"unit_of_measurement": "%"})
    hass.states.async_set(EV_POWER, "4.2", {"unit_of_measurement": "kW"})
    await hass.async_block_till_done()
    assert device.session.active_control_type.value == "FILL_RATE_BASED_CONTROL"
    assert device.session.measurements["ELECTRIC.POWER.3_PHASE_SYMMETRIC"].value_w == 4200.0
    now = T0 + 3 * SLOT
    model = device.planner_model(tuple(now + i * SLOT for i in range(96)), SLOT)
    assert isinstance(model, EVCharger)
    assert model.energy_wh == pytest.approx(0.4 * 60_000 / 0.9)

    # Unplugged: nothing to plan, and the loop hears of it.
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": PLUGGED}, blocking=True
    )
    await hass.async_block_till_done()
    assert heard
    assert device.planner_model(STARTS, SLOT) is None

    await hass.services.async_call(
        "input_number", "set_value", {"entity_id": CURRENT, "value": 8}, blocking=True
    )
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(_value(hass, CURRENT)) == 16.0
    assert _value(hass, CHARGING) == "on"


async def test_heat_pump_on_off_with_thermostat(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """OMBC: on raises the thermostat and the limit, off lowers them; unload restores."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    hass.states.async_set(CLIMATE, "heat", {"temperature": 20.5, "current_temperature": 20.0})
    temperatures = async_mock_service(hass, "climate", "set_temperature")
    entry = await async_setup_entry_with(
        hass,
        subentry(
            "heat_pump",
            "Heat pump",
            power_entity=HP_POWER,
            indoor_temp_entity=INDOOR,
            switch_entity=HP_SWITCH,
            climate_entity=CLIMATE,
            power_limit_entity=HP_LIMIT,
            min_run_min=30,
            min_pause_min=15,
        ),
    )
    device = device_named(entry, "Heat pump")
    assert device.session.active_control_type.value == "OPERATION_MODE_BASED_CONTROL"
    model = device.planner_model(STARTS, SLOT)
    assert isinstance(model, HeatPump)
    assert isinstance(model.thermal, ThermalHouse)
    assert model.min_run_slots == 2

    await device.session.apply_plan(PowerPlan(STARTS, SLOT, (2000.0, 2000.0, 0.0, 0.0)))
    await hass.async_block_till_done()
    assert temperatures[-1].data["temperature"] == 21.5
    assert float(_value(hass, HP_LIMIT)) == 2000.0
    await _travel(hass, freezer, 2 * SLOT)
    assert temperatures[-1].data["temperature"] == 18.5
    assert float(_value(hass, HP_LIMIT)) == 0.0
    assert _value(hass, HP_SWITCH) == "off"

    # The owner changes the setpoint: that is the new normal.
    hass.states.async_set(CLIMATE, "heat", {"temperature": 21.0, "current_temperature": 20.0})
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert temperatures[-1].data["temperature"] == 21.0
    assert _value(hass, HP_SWITCH) == "on"
    assert float(_value(hass, HP_LIMIT)) == 3000.0


async def test_hot_water_tank(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """FRBC while the tank temperature is known: the water heater's target follows the plan."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    hass.states.async_set(TANK, "48", {"unit_of_measurement": "°C"})
    hass.states.async_set(WATER_HEATER, "heat_pump", {"temperature": 50.0})
    targets = async_mock_service(hass, "water_heater", "set_temperature")
    entry = await async_setup_entry_with(
        hass,
        subentry(
            "heat_pump",
            "Boiler",
            power_entity=HP_POWER,
            tank_temp_entity=TANK,
            water_heater_entity=WATER_HEATER,
        ),
    )
    device = device_named(entry, "Boiler")
    assert device.session.active_control_type.value == "FILL_RATE_BASED_CONTROL"
    model = device.planner_model(STARTS, SLOT)
    assert isinstance(model, HeatPump)
    assert isinstance(model.thermal, HotWaterBuffer)
    await device.session.apply_plan(PowerPlan(STARTS, SLOT, (2000.0, 0.0, 0.0, 0.0)))
    await hass.async_block_till_done()
    assert targets[-1].data["temperature"] == 55.0
    await _travel(hass, freezer, SLOT)
    assert targets[-1].data["temperature"] == 45.0
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert targets[-1].data["temperature"] == 50.0


async def test_pv_curtailment_and_failing_limit(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A curtailing plan sets the limit; a failing call is logged once and ABORTED."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    hass.states.async_set("sensor.old_pv", "500", {"unit_of_measurement": "W"})
    entry = await async_setup_entry_with(
        hass,
        subentry(
            "pv_inverter", "PV", power_entity=PV_POWER, power_limit_entity=PV_LIMIT, peak_w=4000
        ),
        subentry("pv_inverter", "Old PV", power_entity="sensor.old_pv"),
    )
    device = device_named(entry, "PV")
    model = device.planner_model(STARTS, SLOT)
    assert isinstance(model, PVInverter)
    assert model.curtailable
    assert device.session.measurements["ELECTRIC.POWER.L1"].value_w == -3000.0
    plan = PowerPlan(
        STARTS, SLOT, (-3000.0, -1000.0, -3000.0, -3000.0), curtailed_w=(0, 2000, 0, 0)
    )
    await device.session.apply_plan(plan)
    await hass.async_block_till_done()
    await _travel(hass, freezer, SLOT)
    assert float(_value(hass, PV_LIMIT)) == 1000.0
    await _travel(hass, freezer, SLOT)
    assert float(_value(hass, PV_LIMIT)) == 4000.0

    old = device_named(entry, "Old PV")
    assert old.session.active_control_type.value == "NOT_CONTROLABLE"
    # No control handler, but it answers: measurement-only, so ready to be planned around.
    assert old.session.control is None
    assert old.measurement_only
    assert old.ready
    assert not device.measurement_only
    old_model = old.planner_model(STARTS, SLOT)
    assert isinstance(old_model, PVInverter)
    assert not old_model.curtailable

    async def broken(call: ServiceCall) -> None:
        raise HomeAssistantError("inverter offline")

    hass.services.async_register("input_number", "set_value", broken)
    caplog.set_level(logging.WARNING)
    now = T0 + 2 * SLOT
    starts = tuple(now + i * SLOT for i in range(2))
    await device.session.apply_plan(
        PowerPlan(starts, SLOT, (-500.0, -600.0), curtailed_w=(2500.0, 2400.0))
    )
    await _travel(hass, freezer, SLOT)
    assert "ABORTED" in {r.status for r in device.session.instructions.values()}
    assert caplog.text.count("inverter offline") == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    # Its session closed: no longer answering.
    assert not old.measurement_only
    assert not old.ready


async def test_appliance_started_by_the_plan(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A schedule starts the dishwasher at its slot; its run is followed to the end."""
    freezer.move_to(T0)
    await async_setup_helpers(hass)
    entry = await async_setup_entry_with(
        hass,
        subentry(
            "appliance",
            "Dishwasher",
            start_entity=START,
            running_entity=RUNNING,
            ready_entity=READY,
            duration_min=60,
            average_power_w=800,
        ),
    )
    device = device_named(entry, "Dishwasher")
    load = device.planner_model(STARTS, SLOT)
    assert isinstance(load, ShiftableLoad)
    assert load.parts[0].alternatives == ((800.0,) * 4,)
    await device.session.apply_plan(ProfileSchedule(STARTS, SLOT, {0: (0, 2)}))
    await hass.async_block_till_done()
    assert _value(hass, START) == "off"
    await _travel(hass, freezer, 2 * SLOT)
    assert _value(hass, START) == "on"
    for running in ("turn_on", "turn_off"):
        await hass.services.async_call(
            "input_boolean", running, {"entity_id": RUNNING}, blocking=True
        )
        await hass.async_block_till_done()
    control = device.session.control
    assert control is not None
    assert set(control.snapshot()["containers"].values()) == {"FINISHED"}
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

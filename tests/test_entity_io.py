"""Reading device entities (units, signs, unknown states) and writing commands to them."""

from __future__ import annotations

from datetime import UTC, datetime
import logging

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.open_hem.core.s2.rm import SetCurrent, SetLimit, SetPower, Start
from custom_components.open_hem.devices.entity_io import (
    EntityWriter,
    available,
    next_time_of_day,
    on_state,
    power_sign,
    power_w,
    read_state,
    temperature_c,
)
from custom_components.open_hem.devices.hub import DeviceKind


async def test_readers(hass: HomeAssistant) -> None:
    """Units are converted once; unknown and non-numeric states read as None."""
    hass.states.async_set("sensor.p", "1.5", {"unit_of_measurement": "kW"})
    hass.states.async_set("sensor.bad", "n/a")
    hass.states.async_set("sensor.f", "68", {"unit_of_measurement": "°F"})
    hass.states.async_set("climate.c", "heat", {"current_temperature": "warm"})
    hass.states.async_set("binary_sensor.b", "unknown")
    assert power_w(hass, "sensor.p") == 1500.0
    assert power_w(hass, "sensor.bad") is None
    assert power_w(hass, None) is None
    assert temperature_c(hass, "sensor.f") == pytest.approx(20.0)
    assert temperature_c(hass, "climate.c") is None
    assert temperature_c(hass, "sensor.none") is None
    assert on_state(hass, "binary_sensor.b") is None
    assert on_state(hass, None) is None
    assert not available(hass, None)
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert next_time_of_day("07:00", now) > now

    # A battery whose power sensor counts charging positive (the option off).
    hass.states.async_set("sensor.bp", "500", {"unit_of_measurement": "W"})
    state = read_state(
        hass,
        DeviceKind.BATTERY,
        {"power_entity": "sensor.bp", "discharge_positive": False, "soc_entity": "sensor.x"},
    )
    assert state.power_w == 500.0
    assert state.soc_pct is None
    # An appliance without a running sensor runs while it draws power.
    hass.states.async_set("sensor.ap", "900", {"unit_of_measurement": "W"})
    state = read_state(hass, DeviceKind.APPLIANCE, {"power_entity": "sensor.ap"})
    assert state.running
    assert state.ready


async def test_a_switched_heat_pump_reports_its_switch_as_its_mode(hass: HomeAssistant) -> None:
    """A modulating pump switched on at a 50 W limit is on (its power alone says idle); a
    running sensor, where configured, wins over the switch."""
    hass.states.async_set("sensor.hp", "50", {"unit_of_measurement": "W"})
    hass.states.async_set("input_boolean.hp", "on")
    data = {"power_entity": "sensor.hp", "switch_entity": "input_boolean.hp"}
    assert read_state(hass, DeviceKind.HEAT_PUMP, data).running is True
    hass.states.async_set("input_boolean.hp", "off")
    assert read_state(hass, DeviceKind.HEAT_PUMP, data).running is False
    hass.states.async_set("binary_sensor.compressor", "on")
    data["running_entity"] = "binary_sensor.compressor"
    assert read_state(hass, DeviceKind.HEAT_PUMP, data).running is True
    assert read_state(hass, DeviceKind.HEAT_PUMP, {"power_entity": "sensor.hp"}).running is None


def test_power_sign_follows_how_read_state_reads_power() -> None:
    """To consumption: PV production and HA's battery sign (discharge positive) turn over."""
    assert power_sign(DeviceKind.PV_INVERTER, {}) == -1.0
    assert power_sign(DeviceKind.BATTERY, {}) == -1.0
    assert power_sign(DeviceKind.BATTERY, {"discharge_positive": False}) == 1.0
    assert power_sign(DeviceKind.EV_CHARGER, {}) == 1.0
    assert power_sign(DeviceKind.HEAT_PUMP, {}) == 1.0


async def test_writer(hass: HomeAssistant, caplog: pytest.LogCaptureFixture) -> None:
    """Commands become the right calls; a failure is logged once, recovery once."""
    numbers = async_mock_service(hass, "number", "set_value")
    presses = async_mock_service(hass, "button", "press")
    hass.states.async_set("number.kw", "0", {"unit_of_measurement": "kW", "min": -5, "max": 5})
    hass.states.async_set("number.amps", "16", {"min": 0, "max": 16})
    hass.states.async_set("select.mode", "remote")
    battery = EntityWriter(
        hass,
        DeviceKind.BATTERY,
        {
            "setpoint_entity": "number.kw",
            "mode_entity": "select.mode",
            "control_option": "remote",
            "discharge_positive": False,
        },
    )
    assert await battery.async_actuate(SetPower(2500.0))
    assert numbers[-1].data == {"entity_id": "number.kw", "value": 2.5}
    charger = EntityWriter(hass, DeviceKind.EV_CHARGER, {"current_entity": "number.amps"})
    assert await charger.async_actuate(SetCurrent(0.0))
    assert numbers[-1].data["value"] == 0.0
    assert await charger.async_restore()
    assert numbers[-1].data["value"] == 16.0
    washer = EntityWriter(hass, DeviceKind.APPLIANCE, {"start_entity": "button.start"})
    assert await washer.async_actuate(Start())
    assert len(presses) == 1
    assert await washer.async_restore()
    pv = EntityWriter(hass, DeviceKind.PV_INVERTER, {"power_limit_entity": "number.kw"})
    assert await pv.async_actuate(SetLimit(None))
    assert numbers[-1].data["value"] == 5.0

    fail = [True]

    async def flaky(call: ServiceCall) -> None:
        if fail[0]:
            raise HomeAssistantError("offline")

    hass.services.async_register("number", "set_value", flaky)
    caplog.set_level(logging.INFO)
    assert not await pv.async_actuate(SetLimit(1000.0))
    assert not await pv.async_actuate(SetLimit(1000.0))
    assert caplog.text.count("offline") == 1
    fail[0] = False
    assert await pv.async_actuate(SetLimit(1000.0))
    assert "works again" in caplog.text

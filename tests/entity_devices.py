"""Real Home Assistant helper entities that stand in for a battery, a charger, a heat pump,
a PV inverter and an appliance, and the hub entry with their device subentries."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.open_hem.devices.hub import ControlledDevice, DeviceHub
from tests.entries import hub_entry

SOC = "sensor.battery_soc"
BATTERY_POWER = "sensor.battery_power"
SETPOINT = "input_number.battery_setpoint"
BATTERY_MODE = "input_select.battery_mode"

PLUGGED = "input_boolean.car_plugged"
EV_POWER = "sensor.charger_power"
CAR_SOC = "sensor.car_soc"
CURRENT = "input_number.charge_current"
CHARGING = "input_boolean.charging"

HP_POWER = "sensor.heat_pump_power"
INDOOR = "sensor.living_room_temperature"
TANK = "sensor.tank_temperature"
HP_SWITCH = "input_boolean.heat_pump"
CLIMATE = "climate.heat_pump"
WATER_HEATER = "water_heater.tank"
HP_LIMIT = "input_number.heat_pump_limit"

PV_POWER = "sensor.pv_power"
PV_LIMIT = "input_number.pv_limit"

START = "input_boolean.dishwasher_start"
RUNNING = "input_boolean.dishwasher_running"
READY = "input_boolean.dishwasher_ready"


async def async_setup_helpers(hass: HomeAssistant) -> None:
    """The helper entities, with the states a working device shows."""
    assert await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                "battery_setpoint": {
                    "min": -5000,
                    "max": 5000,
                    "step": 1,
                    "initial": 0,
                    "unit_of_measurement": "W",
                },
                "charge_current": {
                    "min": 0,
                    "max": 16,
                    "step": 0.1,
                    "initial": 16,
                    "unit_of_measurement": "A",
                },
                "heat_pump_limit": {
                    "min": 0,
                    "max": 3000,
                    "step": 1,
                    "initial": 3000,
                    "unit_of_measurement": "W",
                },
                "pv_limit": {
                    "min": 0,
                    "max": 4000,
                    "step": 1,
                    "initial": 4000,
                    "unit_of_measurement": "W",
                },
            }
        },
    )
    assert await async_setup_component(
        hass,
        "input_select",
        {
            "input_select": {
                "battery_mode": {
                    "options": ["self_consumption", "remote_control", "standby"],
                    "initial": "self_consumption",
                }
            }
        },
    )
    assert await async_setup_component(
        hass,
        "input_boolean",
        {
            "input_boolean": {
                "car_plugged": {"initial": True},
                "charging": {"initial": True},
                "heat_pump": {"initial": True},
                "dishwasher_start": {"initial": False},
                "dishwasher_running": {"initial": False},
                "dishwasher_ready": {"initial": True},
            }
        },
    )
    hass.states.async_set(SOC, "50", {"unit_of_measurement": "%", "device_class": "battery"})
    hass.states.async_set(BATTERY_POWER, "0", {"unit_of_measurement": "W"})
    hass.states.async_set(EV_POWER, "0", {"unit_of_measurement": "kW"})
    hass.states.async_set(HP_POWER, "0", {"unit_of_measurement": "W"})
    hass.states.async_set(INDOOR, "20.0", {"unit_of_measurement": "°C"})
    hass.states.async_set(PV_POWER, "3000", {"unit_of_measurement": "W"})
    await hass.async_block_till_done()


def subentry(kind: str, title: str, **data: Any) -> ConfigSubentryData:
    """A device subentry as its flow creates it."""
    first = next(iter(data.values()))
    return ConfigSubentryData(
        data=data, subentry_type=kind, title=title, unique_id=f"{kind}:{first}"
    )


BATTERY = subentry(
    "battery",
    "Battery",
    soc_entity=SOC,
    power_entity=BATTERY_POWER,
    setpoint_entity=SETPOINT,
    mode_entity=BATTERY_MODE,
    normal_option="self_consumption",
    control_option="remote_control",
)


async def async_setup_entry_with(
    hass: HomeAssistant, *subentries: ConfigSubentryData
) -> MockConfigEntry:
    """The hub entry with these device subentries, set up, with the planning loop stopped.

    These tests hand plans to the sessions themselves; a running loop would replan over them
    every quarter hour (tests/test_planner_loop.py tests the loop with the devices).
    """
    entry = hub_entry(subentries=subentries)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entry.runtime_data.planner.async_stop()
    await hass.async_block_till_done()
    return entry


def device_named(entry: MockConfigEntry, name: str) -> ControlledDevice:
    """The hub's device with this name."""
    devices: DeviceHub = entry.runtime_data.devices
    return next(d for d in devices if d.name == name)

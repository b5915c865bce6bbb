"""Subentry flows of the entity-backed devices: every kind, errors, pre-fill, reconfigure."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.entity_devices import (
    BATTERY,
    BATTERY_MODE,
    SETPOINT,
    SOC,
    async_setup_entry_with,
    async_setup_helpers,
)
from tests.entries import hub_entry


def suggested(result: dict[str, Any], key: str) -> Any:
    """The value a form field is pre-filled with."""
    for field in result["data_schema"].schema:
        if field == key:
            return (field.description or {}).get("suggested_value")
    raise KeyError(key)


async def _hub(hass: HomeAssistant) -> MockConfigEntry:
    await async_setup_helpers(hass)
    entry = hub_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _start(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def _configure(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], data)


def _register_inverter(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """A battery inverter device of another integration, with its entities."""
    other = MockConfigEntry(domain="inverter")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("inverter", "1")}, name="Inverter"
    )
    registry = er.async_get(hass)
    ids: dict[str, str] = {}
    for domain, uid, device_class, unit in (
        ("sensor", "temp", "temperature", "°C"),
        ("number", "current", None, "A"),
        ("sensor", "soc", "battery", "%"),
        ("sensor", "power", "power", "W"),
        ("number", "setpoint", None, "W"),
        ("select", "mode", None, None),
    ):
        ent = registry.async_get_or_create(
            domain,
            "inverter",
            uid,
            config_entry=other,
            device_id=device.id,
            original_device_class=device_class,
            unit_of_measurement=unit,
        )
        ids[uid] = ent.entity_id
        attributes: dict[str, Any] = {"unit_of_measurement": unit} if unit else {}
        if domain == "select":
            attributes["options"] = ["auto", "force_charge", "remote"]
        hass.states.async_set(ent.entity_id, "1" if unit else "auto", attributes)
    registry.async_get_or_create(
        "sensor",
        "inverter",
        "hidden",
        config_entry=other,
        device_id=device.id,
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    return ids


async def test_battery_prefilled_from_the_same_device(hass: HomeAssistant) -> None:
    """One entity of the inverter fills in the others; the select's options are offered."""
    entry = await _hub(hass)
    ids = _register_inverter(hass, entry)
    soc = ids["soc"]
    result = await _start(hass, entry, "battery")
    result = await _configure(hass, result, {"name": " Home battery ", "device_entity": soc})
    assert result["step_id"] == "entities"
    assert suggested(result, "soc_entity") == soc
    assert suggested(result, "power_entity") == ids["power"]
    assert suggested(result, "setpoint_entity") == ids["setpoint"]
    assert suggested(result, "mode_entity") == ids["mode"]
    result = await _configure(
        hass,
        result,
        {
            "soc_entity": soc,
            "power_entity": ids["power"],
            "setpoint_entity": ids["setpoint"],
            "mode_entity": ids["mode"],
        },
    )
    assert result["step_id"] == "params"
    assert suggested(result, "capacity_kwh") is None
    result = await _configure(
        hass,
        result,
        {
            "capacity_kwh": 13.5,
            "max_charge_w": 5000,
            "max_discharge_w": 5000,
            "efficiency_pct": 95,
            "discharge_positive": True,
            "normal_option": "auto",
            "control_option": "remote",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home battery"
    assert result["data"]["capacity_kwh"] == 13.5
    assert result["data"]["normal_option"] == "auto"
    assert result["unique_id"] == f"battery:{soc}"
    await hass.async_block_till_done()

    # The same battery again is refused.
    result = await _start(hass, entry, "battery")
    result = await _configure(hass, result, {"name": "Again"})
    result = await _configure(hass, result, {"soc_entity": soc, "setpoint_entity": ids["setpoint"]})
    result = await _configure(hass, result, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_wrong_unit_and_no_control(hass: HomeAssistant) -> None:
    """A setpoint in A is refused for a battery; a heat pump needs something to control."""
    entry = await _hub(hass)
    result = await _start(hass, entry, "battery")
    result = await _configure(hass, result, {"name": "Battery", "device_entity": SOC})
    assert suggested(result, "soc_entity") is None  # not in the registry, no unit match
    result = await _configure(
        hass, result, {"soc_entity": SOC, "setpoint_entity": "input_number.charge_current"}
    )
    assert result["errors"] == {"setpoint_entity": "wrong_unit"}

    result = await _start(hass, entry, "heat_pump")
    result = await _configure(hass, result, {"name": "Heat pump"})
    result = await _configure(hass, result, {"power_entity": "sensor.heat_pump_power"})
    assert result["errors"] == {"base": "no_control"}
    result = await _configure(
        hass, result, {"power_entity": "sensor.heat_pump_power", "switch_entity": "switch.hp"}
    )
    assert result["step_id"] == "params"
    result = await _configure(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["rated_power_w"] == 2000


@pytest.mark.parametrize(
    ("kind", "entities", "params"),
    [
        (
            "ev_charger",
            {
                "plugged_entity": "input_boolean.car_plugged",
                "current_entity": "input_number.charge_current",
            },
            {"phases": "1", "departure": "06:30:00"},
        ),
        ("pv_inverter", {"power_entity": "sensor.pv_power"}, {"peak_w": 4000}),
        (
            "appliance",
            {"start_entity": "input_boolean.dishwasher_start"},
            {"latest_finish": "18:00:00"},
        ),
    ],
)
async def test_each_kind(
    hass: HomeAssistant, kind: str, entities: dict[str, Any], params: dict[str, Any]
) -> None:
    """Every kind can be added with its required entities and the default parameters."""
    entry = await _hub(hass)
    result = await _start(hass, entry, kind)
    result = await _configure(hass, result, {"name": kind})
    result = await _configure(hass, result, entities)
    assert result["step_id"] == "params"
    result = await _configure(hass, result, params)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {**entities, **result["data"]}
    await hass.async_block_till_done()
    assert len(entry.runtime_data.devices) == 1


async def test_reconfigure_a_battery(hass: HomeAssistant) -> None:
    """Reconfigure shows the present entities and parameters and changes them in place."""
    await async_setup_helpers(hass)
    entry = await async_setup_entry_with(hass, BATTERY)
    (sub,) = entry.subentries.values()
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "battery"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": sub.subentry_id},
    )
    assert result["step_id"] == "entities"
    assert suggested(result, "setpoint_entity") == SETPOINT
    result = await _configure(
        hass,
        result,
        {"soc_entity": SOC, "setpoint_entity": SETPOINT, "mode_entity": BATTERY_MODE},
    )
    assert suggested(result, "normal_option") == "self_consumption"
    result = await _configure(hass, result, {"capacity_kwh": 7.5, "normal_option": "standby"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    sub = entry.subentries[sub.subentry_id]
    assert sub.data["capacity_kwh"] == 7.5
    assert sub.data["normal_option"] == "standby"
    assert "power_entity" not in sub.data

"""The demo home: chosen in the flow, a whole home runs in Home Assistant with no hardware.

Real parts throughout: the flow creates the entry and its subentries, the sim's telegrams reach
the P1 meter over a real TCP socket, the bundled prices go through the price coordinator, the
planning loop plans the demo's entity-backed devices and their service calls move the sim.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.open_hem.config_flow import OpenHemConfigFlow
from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.sim import BatteryMode
from custom_components.open_hem.data import OpenHemConfigEntry
from custom_components.open_hem.demo.const import DEFAULT_METER_PORT, DEMO_HOST, STORAGE_KEY
from custom_components.open_hem.devices.const import ENTITY_KINDS
from custom_components.open_hem.devices.hub import DeviceKind
from custom_components.open_hem.devices.native.const import SUBENTRY_S2_DEVICE
from custom_components.open_hem.p1.const import CONF_HOST, CONF_PORT, SUBENTRY_P1_METER

from .planner_helpers import loop_of, replan
from .prices_helpers import NOW, configure_nl
from .s2_helpers import wait_for

SOC = "sensor.demo_battery_state_of_charge"
SETPOINT = "number.demo_battery_setpoint"
MODE = "select.demo_battery_mode"
INDOOR = "sensor.demo_heat_pump_indoor_temperature"
THERMOSTAT = "climate.demo_heat_pump_thermostat"


async def _create_demo(hass: HomeAssistant) -> OpenHemConfigEntry:
    """Pick "demo" in the hub's menu and submit its (empty) form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "demo"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "demo"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    entry: OpenHemConfigEntry = result["result"]
    return entry


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _float(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


async def test_demo_flow_creates_the_whole_home(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """One submit: the demo hub with its meter and five devices; meter and prices are live."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    entry = await _create_demo(hass)
    assert entry.title == "Open HEM demo home"
    assert entry.data["demo"] is True
    assert entry.data["connection"] == "3x25"
    assert entry.data["price_source"] == "demo"
    assert entry.options["planning_profile"] == "grid_aware"
    assert entry.state is ConfigEntryState.LOADED
    kinds = sorted(s.subentry_type for s in entry.subentries.values())
    assert kinds == sorted([SUBENTRY_P1_METER, SUBENTRY_S2_DEVICE, *ENTITY_KINDS])

    # The P1 meter is an ordinary network meter at the demo's own telegram server.
    (meter,) = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_P1_METER]
    assert meter.data[CONF_HOST] == DEMO_HOST
    demo = entry.runtime_data.demo
    assert demo is not None
    assert meter.data[CONF_PORT] == demo.server.port
    for _ in range(50):  # the meter connects over real TCP and reads the first telegram
        coordinator = entry.runtime_data.meters[meter.subentry_id]
        if coordinator.reading is not None:
            break
        await _advance(hass, freezer, timedelta(seconds=1))
    reading = entry.runtime_data.meters[meter.subentry_id].reading
    assert reading is not None
    totals = demo.home.sim.totals
    assert reading.import_t1_kwh is not None
    assert abs(reading.import_t1_kwh - totals.import_kwh[0]) < 0.01
    assert reading.gas_m3 is not None
    assert abs(reading.gas_m3 - totals.gas_m3) < 0.01
    # ... and its entities show it, as for a real meter.
    registry = er.async_get(hass)
    import_id = registry.async_get_entity_id("sensor", DOMAIN, f"{meter.subentry_id}_energy_import")
    assert import_id is not None
    assert abs(_float(hass, import_id) - totals.import_kwh[0] - totals.import_kwh[1]) < 0.01

    # Bundled prices for today and tomorrow, through the price coordinator.
    prices = entry.runtime_data.prices
    assert prices is not None
    today = dt_util.as_utc(dt_util.start_of_local_day())
    assert prices.data.covers(today, today + timedelta(days=2))
    # Tomorrow is the bundled negative-price afternoon.
    assert min(slot.spot for slot in prices.data.between(today, today + timedelta(days=2))) < 0

    # A second entry is refused (the demo counts as the one Open HEM entry).
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.ABORT

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert demo.server.clients == 0


async def test_dutch_demo_title(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """A Dutch Home Assistant gets "Open HEM demohuis"."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    hass.config.language = "nl"
    entry = await _create_demo(hass)
    assert entry.title == "Open HEM demohuis"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_the_loop_plans_and_moves_the_demo_devices(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """An optimal plan with every demo device; its service calls move the sim physically.

    In the evening, with the car at home.
    """
    freezer.move_to(NOW + timedelta(hours=10))
    await configure_nl(hass)
    entry = await _create_demo(hass)
    # Every device has described itself by now; plan with all of them.
    await hass.services.async_call(DOMAIN, "replan", {}, blocking=True)
    await replan(hass, freezer)
    loop = loop_of(entry)
    assert loop.snapshot is not None, loop.last_cycle
    assert loop.last_cycle["solver_status"] == "optimal", dict(loop.last_cycle)
    device_ids = {
        s.subentry_id for s in entry.subentries.values() if s.subentry_type in ENTITY_KINDS
    }
    missing = [entry.subentries[i].subentry_type for i in device_ids - set(loop.snapshot.devices)]
    assert not missing

    # Slot by slot for two hours: the planned battery power reaches the demo's setpoint number
    # (HA's sign) through the entity-backed RM's service calls, and the sim's battery follows.
    (battery,) = [s for s in entry.subentries.values() if s.subentry_type == "battery"]
    demo = entry.runtime_data.demo
    assert demo is not None
    soc_before = _float(hass, SOC)
    indoor_before = _float(hass, INDOOR)
    charged_before = demo.home.energy_kwh["battery_charge"]
    discharged_before = demo.home.energy_kwh["battery_discharge"]
    instructed = 0
    for _ in range(8):
        snapshot = loop.snapshot
        assert snapshot is not None
        index = snapshot.index(dt_util.utcnow())
        assert index is not None
        planned_w = snapshot.devices[battery.subentry_id].power_w[index]
        if abs(planned_w) > 100:
            instructed += 1
            assert hass.states.get(MODE).state == "remote_control"
            assert abs(_float(hass, SETPOINT) + planned_w) <= max(50.0, abs(planned_w) * 0.02)
            assert demo.home.battery.setpoint_w == pytest.approx(planned_w, abs=50)
        for _ in range(3):
            await _advance(hass, freezer, timedelta(minutes=5))
        await replan(hass, freezer)
    assert instructed
    # The SOC integrated what the battery did (the sim's efficiencies, 10 kWh).
    charged = demo.home.energy_kwh["battery_charge"] - charged_before
    discharged = demo.home.energy_kwh["battery_discharge"] - discharged_before
    assert charged + discharged > 0.1
    expected_pct = (charged * 0.95 - discharged / 0.95) / 10.0 * 100
    assert _float(hass, SOC) - soc_before == pytest.approx(expected_pct, abs=0.1)
    # The house responded to the heat pump and the evening's weather (the 1R1C model moved).
    assert _float(hass, INDOOR) != indoor_before

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_service_calls_reach_the_sim(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """The demo's control entities answer HA's ordinary services with physics."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    entry = await _create_demo(hass)
    demo = entry.runtime_data.demo
    assert demo is not None
    loop_of(entry).async_stop()  # nothing but these calls moves the devices

    await hass.services.async_call(
        "select", "select_option", {"entity_id": MODE, "option": "remote_control"}, blocking=True
    )
    await hass.services.async_call(
        "number", "set_value", {"entity_id": SETPOINT, "value": -3000}, blocking=True
    )
    assert demo.home.battery.setpoint_w == 3000  # HA's sign: negative is charging
    await hass.services.async_call(
        "climate", "set_temperature", {"entity_id": THERMOSTAT, "temperature": 23}, blocking=True
    )
    assert demo.home.heat_pump.setpoint_c == 23
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.demo_solar_inverter_power_limit", "value": 1000},
        blocking=True,
    )
    assert demo.home.pv.limit_w == 1000
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.demo_ev_charger_charging"}, blocking=True
    )
    assert demo.home.ev.current_a == 0
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.demo_ev_charger_charging_current", "value": 10},
        blocking=True,
    )
    assert demo.home.ev.current_a == 0  # paused: the current waits for the switch
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.demo_ev_charger_charging"}, blocking=True
    )
    assert demo.home.ev.current_a == 10
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.demo_dishwasher_start"}, blocking=True
    )
    await _advance(hass, freezer, timedelta(seconds=10))
    assert hass.states.get("binary_sensor.demo_dishwasher_running").state == "on"
    assert _float(hass, "sensor.demo_dishwasher_power") > 0
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_the_native_s2_battery_connects_and_is_planned(
    hass: HomeAssistant, socket_enabled: None, hass_client_no_auth: Any
) -> None:
    """s2-python's RM classes connect over the real WebSocket with the demo's token; the loop
    plans the battery from its FRBC description and its instructions move the second sim.

    Real time (not frozen): the RM's reconnect backoff and the WebSocket run on the loop's clock.
    """
    await configure_nl(hass)
    assert await async_setup_component(hass, "http", {})
    entry = await _create_demo(hass)
    # Home Assistant's HTTP app on a real TCP port; the RM retries until it finds it.
    client = await hass_client_no_auth()
    await hass.config.async_update(internal_url=f"http://127.0.0.1:{client.port}")
    demo = entry.runtime_data.demo
    assert demo is not None
    assert demo.s2 is not None
    (s2_entry,) = [s for s in entry.subentries.values() if s.subentry_type == "s2_device"]
    assert s2_entry.title == "Demo S2 battery"

    await wait_for(lambda: demo.s2 is not None and demo.s2.control.connection is not None)
    await wait_for(lambda: (d := entry.runtime_data.devices.get(s2_entry.subentry_id)) and d.ready)
    device = entry.runtime_data.devices.get(s2_entry.subentry_id)
    assert device is not None
    assert device.kind is DeviceKind.S2

    loop = loop_of(entry)
    await loop.async_replan("test")
    snapshot = loop.snapshot
    assert snapshot is not None
    assert loop.last_cycle["solver_status"] == "optimal"
    assert s2_entry.subentry_id in snapshot.devices
    await wait_for(lambda: demo.s2 is not None and demo.s2.control.instructions > 0)

    # What it was told now is what the second sim battery does, and its SOC integrates it.
    planned_w = snapshot.devices[s2_entry.subentry_id].power_w[snapshot.index(dt_util.utcnow())]
    battery = demo.home.s2_battery
    doing_w = battery.setpoint_w if battery.mode is BatteryMode.POWER else 0.0
    assert doing_w == pytest.approx(planned_w, abs=50)
    soc_before = battery.soc
    demo.home.async_step_to(dt_util.utcnow() + timedelta(minutes=5))
    if abs(planned_w) > 100:
        assert battery.soc != soc_before
    diagnostics = demo.diagnostics()
    assert diagnostics["s2_battery"]["connected"] is True

    native = entry.runtime_data.s2
    assert native is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert not demo.s2.connected
    assert demo.s2.control.connection is None
    # The endpoint's side of the session has ended too (no ping timer outlives it).
    served = native.devices[s2_entry.subentry_id]
    await wait_for(lambda: served.state == "disconnected" and not served._serving)


async def test_the_home_carries_on_after_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, socket_enabled: None
) -> None:
    """SOCs, the indoor temperature, the meter's totals and the controls survive a reload."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    entry = await _create_demo(hass)
    loop_of(entry).async_stop()
    demo = entry.runtime_data.demo
    assert demo is not None
    await hass.services.async_call(
        "climate", "set_hvac_mode", {"entity_id": THERMOSTAT, "hvac_mode": "off"}, blocking=True
    )
    demo.home.battery.soc = 0.83
    demo.home.s2_battery.soc = 0.21
    demo.home.heat_pump.house.indoor_c = 18.25
    await _advance(hass, freezer, timedelta(minutes=6))  # stepped, and saved on the way
    totals = demo.home.sim.totals.import_kwh[:] + demo.home.sim.totals.export_kwh[:]
    soc, indoor = demo.home.battery.soc, demo.home.heat_pump.house.indoor_c

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    again = entry.runtime_data.demo
    assert again is not None
    assert again is not demo
    assert again.home.battery.soc == pytest.approx(soc)
    assert again.home.s2_battery.soc == pytest.approx(demo.home.s2_battery.soc)
    assert again.home.heat_pump.house.indoor_c == pytest.approx(indoor)
    assert again.home.sim.totals.import_kwh + again.home.sim.totals.export_kwh == totals
    assert hass.states.get(THERMOSTAT).state == "off"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_taken_port_and_a_broken_save_are_survived(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    socket_enabled: None,
    hass_storage: dict[str, Any],
) -> None:
    """The meter moves to a free port (its subentry follows); an unreadable save starts afresh."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    hass_storage[STORAGE_KEY] = {"version": 1, "key": STORAGE_KEY, "data": {"totals": "?"}}
    blocker = await asyncio.start_server(lambda r, w: None, DEMO_HOST, DEFAULT_METER_PORT)
    try:
        entry = await _create_demo(hass)
        demo = entry.runtime_data.demo
        assert demo is not None
        assert demo.server.port != DEFAULT_METER_PORT
        (meter,) = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_P1_METER]
        assert meter.data[CONF_PORT] == demo.server.port
        assert demo.home.battery.soc == 0.5  # the sim's own start
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        blocker.close()
        await blocker.wait_closed()


async def test_the_demo_step_keeps_the_single_entry_rule(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """The demo step itself refuses a second Open HEM entry (not only the menu)."""
    mock_config_entry.add_to_hass(hass)
    handler = OpenHemConfigFlow()
    handler.hass = hass
    handler.context = {"source": SOURCE_USER}
    result = await handler.async_step_demo()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "single_instance_allowed"

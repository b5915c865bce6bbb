"""A native S2 battery, paired by token over the real WebSocket, is planned and instructed.

The same path as entity-backed devices: while connected, the RM's session is in the device hub;
the planning loop builds the battery from its FRBC system description, plans it against the day's
prices and sends FRBC instructions that follow the plan. When it disconnects it leaves the hub.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.devices.hub import DeviceKind

from .entries import hub_entry
from .planner_helpers import loop_of
from .prices_helpers import URL, a44, configure_nl
from .s2_helpers import BatteryRm, Rm, add_s2_device, asset, wait_for


@pytest.fixture
async def rms() -> AsyncGenerator[list[Rm]]:
    """RMs started by the test are stopped after it."""
    started: list[Rm] = []
    yield started
    for rm in started:
        await rm.stop()


async def test_a_native_battery_is_planned_and_follows_the_plan(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    hass_client_no_auth: Any,
    rms: list[Rm],
) -> None:
    """Connected: in the hub, planned from its S2 description, instructed; gone: out of the hub."""
    await configure_nl(hass)
    today = dt_util.now().date()
    aioclient_mock.get(URL, text=a44(today, today + timedelta(days=1)))
    assert await async_setup_component(hass, "http", {})
    await hass.config.async_update(internal_url="http://homeassistant.local:8123")
    entry = hub_entry({"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    subentry_id, path, token = await add_s2_device(hass, entry)
    assert entry.runtime_data.devices.get(subentry_id) is None  # not connected yet

    battery = BatteryRm()
    rm = Rm([battery], asset())
    rms.append(rm)
    await rm.connect(await hass_client_no_auth(), path, token)
    await wait_for(battery.active.is_set)
    device = entry.runtime_data.devices.get(subentry_id)
    assert device is not None
    assert device.kind is DeviceKind.S2
    # Its power sensor (S2 sign) is where the base-load forecast finds what it drew.
    assert device.power_entity is not None
    assert device.power_entity.startswith("sensor.")
    assert device.power_sign == 1.0
    assert hass.states.get(device.power_entity) is not None
    await wait_for(lambda: device.ready)

    loop = loop_of(entry)
    await loop.async_replan("test")
    snap = loop.snapshot
    assert snap is not None, loop.last_cycle
    series = snap.devices[subentry_id]
    # Prices rise through the day: the battery is planned to move, and it is told to.
    assert max(series.power_w) > 100 or min(series.power_w) < -100
    await wait_for(lambda: battery.instructions)
    for instruction in battery.instructions:
        i = snap.index(instruction.execution_time)
        assert i is not None
        planned = series.power_w[i]
        mode = str(instruction.operation_mode)
        want = (
            battery.battery.charge
            if planned > 50
            else battery.battery.discharge
            if planned < -50
            else None
        )
        if want is not None:
            assert mode == want, (instruction.execution_time, planned, mode)

    await rm.stop()
    await wait_for(lambda: entry.runtime_data.devices.get(subentry_id) is None)

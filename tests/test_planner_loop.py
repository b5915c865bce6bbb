"""The planning loop in a real Home Assistant: plans, instructions, triggers, restarts."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.devices.hub import DeviceKind
from custom_components.open_hem.planner.const import PlanStatus

from .planner_helpers import BatteryRm, add_device, devices_entry, loop_of, replan
from .prices_helpers import NOW, TODAY, URL, a44, configure_nl


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await configure_nl(hass)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_plan_is_made_and_the_battery_follows_it(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=a44(TODAY, TODAY + timedelta(days=1)))
    entry = devices_entry(("battery", "Home battery"))
    await _setup(hass, entry)
    rm = BatteryRm()
    _, link = await add_device(hass, entry, "battery", DeviceKind.BATTERY, rm, "Home battery")
    try:
        await replan(hass, freezer)
        loop = loop_of(entry)
        snap = loop.snapshot
        assert snap is not None
        assert snap.status in (PlanStatus.OPTIMAL, PlanStatus.RELAXED), loop.last_cycle
        series = snap.devices["battery"]
        assert any(p > 100 for p in series.power_w)
        assert rm.instructions
        for instruction in rm.instructions:
            i = snap.index(instruction.execution_time)
            assert i is not None
            planned = series.power_w[i]
            mode = str(instruction.operation_mode)
            if planned > 50:
                assert mode == rm.battery.charge
            elif planned < -50:
                assert mode == rm.battery.discharge
            else:
                assert mode == rm.battery.idle
    finally:
        await link.stop()

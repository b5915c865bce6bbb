"""The whole loop in one Home Assistant: prices in, the plan out, an entity-backed battery moved.

No test hand: prices come from a (generated) ENTSO-E answer, the battery is an ordinary entity
device (input_number setpoint, input_select mode, a SOC sensor) added as a subentry, and the
planning loop alone decides and carries out what the battery does, through the same in-process
S2 session a native device would use.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from .entity_devices import (
    BATTERY,
    BATTERY_MODE,
    READY,
    RUNNING,
    SETPOINT,
    START,
    async_setup_helpers,
    device_named,
    subentry,
)
from .entries import hub_entry
from .planner_helpers import loop_of, replan
from .prices_helpers import NOW, TODAY, URL, a44, configure_nl


async def test_the_plan_runs_an_entity_backed_battery(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """The loop plans the battery and its setpoint entity follows the plan, slot by slot."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    await async_setup_helpers(hass)
    aioclient_mock.get(URL, text=a44(TODAY, TODAY + timedelta(days=1)))
    entry = hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"},
        subentries=[BATTERY],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await replan(hass, freezer)

    loop = loop_of(entry)
    snap = loop.snapshot
    assert snap is not None, loop.last_cycle
    assert loop.last_cycle["solver_status"] == "optimal", loop.last_cycle
    (battery,) = [d for d in entry.runtime_data.devices if d.name == "Battery"]
    series = snap.devices[battery.subentry_id]
    # Prices rise through each day: the plan charges early and discharges later.
    assert max(series.power_w) > 100
    assert min(series.power_w) < -100

    # Walk through the day: at each slot's start the setpoint is what the plan says for it.
    # The plan counts consumption (charging) positive, as S2 does; the battery's setpoint uses
    # Home Assistant's battery sign (discharge positive), the subentry's default.
    seen_charge = seen_discharge = False
    for _ in range(24):
        now = dt_util.utcnow()
        i = loop.snapshot.index(now) if loop.snapshot else None
        if i is not None:
            planned = loop.snapshot.devices[battery.subentry_id].power_w[i]
            state = hass.states.get(SETPOINT)
            assert state is not None
            assert abs(float(state.state) + planned) <= max(50.0, abs(planned) * 0.02), (
                now,
                planned,
                state.state,
            )
            seen_charge |= planned > 100
            seen_discharge |= planned < -100
        freezer.move_to(now.replace(second=0, microsecond=0) + timedelta(minutes=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        await replan(hass, freezer)
    assert seen_charge or seen_discharge
    # Open HEM holds the battery in its remote-control option while it plans it.
    mode = hass.states.get(BATTERY_MODE)
    assert mode is not None
    assert mode.state == "remote_control"

    # Unloading hands the battery back to its owner's normal mode.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(BATTERY_MODE).state == "self_consumption"


async def test_the_plan_starts_an_entity_backed_appliance_at_its_planned_slot(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """The loop places the dishwasher's run (PPBC) in cheap hours; it starts then, not before."""
    freezer.move_to(NOW)
    await configure_nl(hass)
    await async_setup_helpers(hass)
    aioclient_mock.get(URL, text=a44(TODAY, TODAY + timedelta(days=1)))
    dishwasher = subentry(
        "appliance",
        "Dishwasher",
        start_entity=START,
        running_entity=RUNNING,
        ready_entity=READY,
        duration_min=60,
        average_power_w=800,
    )
    entry = hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"},
        subentries=[dishwasher],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await replan(hass, freezer)

    loop = loop_of(entry)
    snap = loop.snapshot
    assert snap is not None, loop.last_cycle
    series = snap.devices[device_named(entry, "Dishwasher").subentry_id]
    first = next(i for i, w in enumerate(series.power_w) if w > 1.0)
    assert series.power_w[first : first + 5] == [800.0] * 4 + [0.0]  # the hour, once
    start = snap.slot_start(first)
    assert start > dt_util.utcnow() + timedelta(hours=1)  # prices fall later: it waits

    for at, expected in ((start - timedelta(minutes=1), "off"), (start, "on")):
        freezer.move_to(at)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        state = hass.states.get(START)
        assert state is not None
        assert state.state == expected, at
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

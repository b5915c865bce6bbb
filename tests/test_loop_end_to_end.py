"""The loop end to end, through a day and a half in one Home Assistant.

A battery, an EV charger (with the car's SOC), a heat pump and a PV inverter made of real
Home Assistant entities (tests/loop_home.py: their power sensors follow what Open HEM sets),
real Belgian ENTSO-E prices, a P1 meter on a real TCP socket, the real planner. The clock
travels; at every slot the control entities must hold what the plan says for that slot.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.planner.forecasts import ForecastInputs
from custom_components.open_hem.planner.inputs import live_net_power_w
from custom_components.open_hem.planner.snapshot import PlanSnapshot

from .core.p1.telegrams import V5, TelegramServer, telegram_bytes, wait_for
from .loop_home import (
    BATTERY_MODE,
    CHARGING,
    CURRENT,
    EV,
    HP_LIMIT,
    HP_ONLINE,
    HP_RATED_W,
    HP_SWITCH,
    PRICES,
    PV_LIMIT,
    PV_PEAK_W,
    QUARTER,
    SETPOINT,
    START,
    CallLog,
    amps,
    async_setup_home,
    home_entry,
    named,
    record_calls,
    sunshine,
)
from .planner_helpers import loop_of, replan
from .prices_helpers import URL


@dataclass
class Home:
    hass: HomeAssistant
    entry: MockConfigEntry
    calls: CallLog
    dongle: TelegramServer
    freezer: FrozenDateTimeFactory

    @property
    def plan(self) -> PlanSnapshot:
        snapshot = loop_of(self.entry).snapshot
        assert snapshot is not None, loop_of(self.entry).last_cycle
        return snapshot

    def sid(self, name: str) -> str:
        return named(self.entry, name).subentry_id

    def planned(self, name: str, moment: datetime | None = None) -> float | None:
        return self.plan.power_at(self.sid(name), moment or dt_util.utcnow())

    def state(self, entity_id: str) -> str:
        state = self.hass.states.get(entity_id)
        assert state is not None, entity_id
        return state.state

    def number(self, entity_id: str) -> float:
        return float(self.state(entity_id))

    async def travel(self, to: datetime) -> None:
        """Move the clock to ``to`` and let the quarter-hour replan run."""
        self.freezer.move_to(to)
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        await replan(self.hass, self.freezer)

    async def call(self, service: str, **data: Any) -> Any:
        return await self.hass.services.async_call(
            DOMAIN, service, data, blocking=True, return_response=service == "get_plan"
        )


@pytest.fixture
async def dongle(socket_enabled: None) -> AsyncGenerator[TelegramServer]:
    server = await TelegramServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def home(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    dongle: TelegramServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Home:
    """The home set up at 10:00 on 6 October 2024 in Brussels, with its first plan made.

    The PV forecast is the one input not made here (it comes from the Energy dashboard's
    solar forecast or the PV history, tested with the forecasts): a clear day.
    """
    monkeypatch.setattr(ForecastInputs, "pv", lambda self, slots: sunshine(slots))
    freezer.move_to(START)
    await hass.config.async_set_time_zone("Europe/Brussels")
    hass.config.country = "BE"
    aioclient_mock.get(URL, text=PRICES.read_text())
    await async_setup_home(hass)
    calls = record_calls(hass)
    entry = home_entry(dongle.port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await dongle.wait_connected()
    await dongle.send(telegram_bytes(V5))  # 244 W imported
    await wait_for(lambda: live_net_power_w(entry) is not None)
    home = Home(hass, entry, calls, dongle, freezer)
    await replan(hass, freezer)
    return home


def assert_follows_plan(home: Home) -> dict[str, float]:
    """Every device's control entities hold what the plan says for the slot now."""
    now = dt_util.utcnow()
    battery = home.planned("Battery")
    charger = home.planned("Charger")
    heat_pump = home.planned("Heat pump")
    assert None not in (battery, charger, heat_pump), (now, home.plan.devices.keys())
    assert battery is not None
    assert charger is not None
    assert heat_pump is not None
    where = f"{dt_util.as_local(now):%a %H:%M}"
    # The plan counts charging positive (S2's sign); the setpoint discharging positive.
    if abs(battery) > 1.0:
        assert home.state(BATTERY_MODE) == "remote_control", where
    assert abs(home.number(SETPOINT) + battery) <= max(50.0, abs(battery) * 0.02), (
        where,
        battery,
        home.state(SETPOINT),
    )
    if amps(charger) == 0:
        assert home.state(CHARGING) == "off", (where, charger)
    else:
        assert home.state(CHARGING) == "on", (where, charger)
        assert abs(home.number(CURRENT) - amps(charger)) <= 0.15, (where, charger)
    if heat_pump > 1.0:
        assert home.state(HP_SWITCH) == "on", (where, heat_pump)
        assert abs(home.number(HP_LIMIT) - heat_pump) <= max(50.0, heat_pump * 0.02), where
    else:
        assert home.state(HP_SWITCH) == "off", (where, heat_pump)
    pv = home.plan.devices[home.sid("Solar")]
    i = home.plan.index(now)
    assert i is not None
    curtailed = 0.0 if pv.curtailed_w is None else pv.curtailed_w[i]
    if curtailed < 1.0:
        assert home.number(PV_LIMIT) == PV_PEAK_W, (where, pv.power_w[i])
    else:
        assert abs(home.number(PV_LIMIT) + pv.power_w[i]) <= 50.0, (where, pv.power_w[i])
    return {"battery": battery, "charger": charger, "heat_pump": heat_pump}


async def test_a_day_and_a_half_follows_the_plan(home: Home) -> None:
    """From Sunday 10:00 to Monday 22:00 every device does what the plan says, slot by slot."""
    plan = home.plan
    # Optimal, or the best plan at the solver's time limit on a busy machine; never the
    # baseline, and no wish given up.
    assert plan.status.value != "baseline", (plan.reason, plan.solver)
    assert plan.unmet == []
    # Real prices known to the end of Tuesday: the full horizon of 48 hours, all devices in it.
    assert plan.slots == 48 * 4
    assert {s.name for s in plan.devices.values()} >= {"Battery", "Charger", "Heat pump", "Solar"}
    # The P1 meter, read over TCP, reaches the loop.
    assert live_net_power_w(home.entry) == 244.0

    # The car (40 %, 60 kWh) should be at 80 % by 07:00: 24 kWh, in the night.
    ready = dt_util.as_utc(datetime(2024, 10, 7, 7, 0, tzinfo=dt_util.get_default_time_zone()))
    charger = plan.devices[home.sid("Charger")]
    charged_wh = sum(
        p for t, p in zip(plan.slot_starts(), charger.power_w, strict=True) if t < ready
    )
    assert charged_wh / 4 >= 0.99 * 24_000 / 0.9 - 1, charged_wh / 4

    seen: dict[str, set[str]] = {"battery": set(), "charger": set(), "heat_pump": set()}
    started_charging: list[datetime] = []
    was_charging = False
    now = START
    while now < START + timedelta(hours=36):
        values = assert_follows_plan(home)
        for key, value in values.items():
            seen[key].add("+" if value > 1 else "-" if value < -1 else "0")
        charging = amps(values["charger"]) > 0
        if charging and not was_charging:
            # Charging starts at this slot: the calls that start it ran now, with the plan's
            # current.
            calls = [c for c in home.calls.calls if c.at >= now]
            assert any(
                c.entity_id == CURRENT
                and c.service == "set_value"
                and abs(c.data["value"] - amps(values["charger"])) <= 0.15
                for c in calls
            ) or home.number(CURRENT) == amps(values["charger"]), (now, calls)
            assert any(c.entity_id == CHARGING and c.service == "turn_on" for c in calls), calls
            started_charging.append(now)
        was_charging = charging
        # Quarter by quarter for an hour, then by the hour (each step is a replan).
        now += QUARTER if now < START + timedelta(hours=1) else 4 * QUARTER
        await home.travel(now)
    assert seen["battery"] >= {"+", "-"}, seen
    assert seen["charger"] == {"+", "0"}, seen
    assert "+" in seen["heat_pump"], seen
    assert started_charging, "the car never started charging"
    assert started_charging[0] < ready, started_charging


async def test_the_pv_forecast_reaches_the_inverter(home: Home) -> None:
    """An entity-backed inverter knows its limits, not the sun: the loop gives it the forecast."""
    plan = home.plan
    # The inverter produces the forecast in the plan (or less where the plan curtails it).
    solar = plan.devices[home.sid("Solar")]
    sun = sunshine(plan.slot_starts())
    curtailed = solar.curtailed_w or [0.0] * plan.slots
    assert max(sun) == 3000.0
    for i, expected in enumerate(sun):
        assert abs(-solar.power_w[i] + curtailed[i] - expected) <= 1.0, (i, solar.power_w[i])
    assert plan.pv_w == solar.power_w
    # At 13:00 the sun is in the plan's balance: grid = base load + every device (PV < 0).
    i = plan.index(START + timedelta(hours=3))
    assert i is not None
    devices = sum(s.power_w[i] for s in plan.devices.values())
    assert abs(plan.grid_w[i] - plan.base_load_w[i] - devices) <= 1.0
    assert solar.power_w[i] < -2000.0


async def test_a_wish_and_a_grid_limit_are_honoured_within_one_cycle(home: Home) -> None:
    """set_wish and set_grid_limit change the next plan, and the devices follow it."""
    ev = home.sid("Charger")
    before = sum(home.plan.devices[ev].power_w)
    zone = dt_util.get_default_time_zone()
    await home.call("set_wish", device_id=ev, target_soc=100, ready_by="05:00:00")
    await replan(home.hass, home.freezer)
    plan = home.plan
    # 60 % of 60 kWh instead of 40 %, by 05:00.
    assert sum(plan.devices[ev].power_w) > 1.4 * before
    by = dt_util.as_utc(datetime(2024, 10, 7, 5, 0, tzinfo=zone))
    late = [t for t, p in zip(plan.slot_starts(), plan.devices[ev].power_w, strict=True) if p > 1]
    assert late
    assert all(t < by for t in late[: int(36_000 / 0.9 / EV.max_w * 4)])

    end = dt_util.utcnow() + timedelta(hours=3)
    await home.call("set_grid_limit", export_limit=0, import_limit=1000, end=end.isoformat())
    await replan(home.hass, home.freezer)
    plan = home.plan
    window = [i for i, t in enumerate(plan.slot_starts()) if t < end]
    assert max(plan.grid_w[i] for i in window) <= 1000.0 + 1.0, plan.grid_w[: len(window)]
    assert min(plan.grid_w[i] for i in window) >= -1.0, plan.grid_w[: len(window)]
    assert_follows_plan(home)


async def test_an_override_is_respected_and_expires(home: Home) -> None:
    """An override holds the battery at its power, then the battery is back on the plan."""
    battery = home.sid("Battery")
    await home.call("override", device_id=battery, power=-3000, duration="00:30:00")
    await replan(home.hass, home.freezer)
    series = home.plan.devices[battery]
    assert series.kind == "fixed"
    assert series.power_w[:2] == [-3000.0, -3000.0]
    assert home.state(BATTERY_MODE) == "remote_control"
    assert home.number(SETPOINT) == 3000.0  # discharging, in Home Assistant's sign
    await home.travel(START + QUARTER)
    assert home.number(SETPOINT) == 3000.0
    await home.travel(START + 2 * QUARTER + timedelta(seconds=5))
    assert battery not in loop_of(home.entry).overrides
    assert home.plan.devices[battery].kind == "battery"
    assert_follows_plan(home)


async def test_a_device_that_stops_answering_is_planned_around(
    home: Home, issue_registry: ir.IssueRegistry
) -> None:
    """The heat pump's entities go unavailable: a repair issue, its own thermostat, no plan."""
    hass, hp = home.hass, home.sid("Heat pump")
    assert home.state(HP_SWITCH) == "off"  # the first plan holds it off
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": HP_ONLINE}, blocking=True
    )
    await home.travel(dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    assert issue_registry.async_get_issue(DOMAIN, f"device_unavailable_{hp}") is not None
    # Back on its own: switched on, no limit.
    assert home.state(HP_SWITCH) == "on"
    assert home.number(HP_LIMIT) == HP_RATED_W
    await replan(hass, home.freezer)
    # Not planned: at most planned around at what it was last measured drawing.
    assert hp not in home.plan.devices or home.plan.devices[hp].kind == "fixed"
    assert home.state(HP_SWITCH) == "on"

    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": HP_ONLINE}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, f"device_unavailable_{hp}") is None
    await replan(hass, home.freezer)
    assert home.plan.devices[hp].kind == "heat_pump"
    assert_follows_plan(home)


async def test_a_restart_restores_the_plan_wishes_and_overrides(home: Home) -> None:
    hass, entry = home.hass, home.entry
    ev, battery = home.sid("Charger"), home.sid("Battery")
    await home.call("set_wish", device_id=ev, target_soc=90)
    await home.call("override", device_id=battery, mode="manual", duration="02:00:00")
    await replan(hass, home.freezer)
    made = home.plan.created
    loop = loop_of(entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    restored = loop_of(entry)
    assert restored is not loop
    assert restored.wish(ev).target_soc == 90
    assert restored.overrides[battery].mode.value == "manual"
    assert restored.snapshot is not None
    assert restored.snapshot.created >= made
    await replan(hass, home.freezer)
    plan = home.plan
    assert plan.devices[battery].kind == "fixed"  # manual: planned around, not instructed
    assert not plan.devices[battery].instructed
    response = await home.call("get_plan")
    assert response["status"] in ("optimal", "relaxed")
    assert response["unmet"] == []


async def test_unloading_returns_every_device_to_its_safe_default(home: Home) -> None:
    hass = home.hass
    await home.travel(START + 8 * QUARTER)
    # Open HEM holds something away from the defaults (the heat pump and charging are off now).
    assert (home.state(HP_SWITCH), home.state(CHARGING)) != ("on", "on") or home.number(
        SETPOINT
    ) != 0
    assert await hass.config_entries.async_unload(home.entry.entry_id)
    await hass.async_block_till_done()
    assert home.state(BATTERY_MODE) == "self_consumption"
    assert home.number(SETPOINT) == 0
    assert home.state(CHARGING) == "on"
    assert home.number(CURRENT) == EV.max_current_a
    assert home.state(HP_SWITCH) == "on"
    assert home.number(HP_LIMIT) == HP_RATED_W
    assert home.number(PV_LIMIT) == PV_PEAK_W

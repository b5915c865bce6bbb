"""The planning loop in a real Home Assistant: plans, instructions, triggers, restarts.

Devices are s2-python's own RMs linked in memory to real CemSessions and registered in the
hub as the device feature will; prices come from a generated ENTSO-E answer (rising through
each day, so charging early and discharging late pays); the clock is frozen and moved.
"""

from __future__ import annotations

from datetime import timedelta
import threading
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.devices.hub import DeviceKind, DeviceMode
from custom_components.open_hem.planner.const import PlanStatus, Profile

from .planner_helpers import (
    BatteryRm,
    CarRm,
    HeatPumpRm,
    add_device,
    devices_entry,
    loop_of,
    replan,
    wait_for,
)
from .prices_helpers import NOW, TODAY, URL, a44, configure_nl

TOMORROW = TODAY + timedelta(days=1)
DEVICES = (("battery", "Home battery"), ("car", "Car"), ("heat_pump", "Heat pump"))


async def _setup(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry | None = None,
    prices: str | None = None,
) -> MockConfigEntry:
    freezer.move_to(NOW)
    aioclient_mock.get(URL, text=prices or a44(TODAY, TOMORROW))
    entry = entry or devices_entry(*DEVICES)
    await configure_nl(hass)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def _device_id(hass: HomeAssistant, subentry_id: str) -> str:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    found = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, subentry_id), entry.entry_id)
    assert found is not None
    return found.id


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=service == "get_plan",
    )


def _mode_of(rm: BatteryRm, instruction: Any) -> str:
    mode = str(instruction.operation_mode)
    return {rm.battery.charge: "charge", rm.battery.discharge: "discharge"}.get(mode, "idle")


async def test_a_plan_is_made_and_the_battery_follows_it(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Every instruction the battery receives is the plan's mode at its execution time."""
    entry = await _setup(hass, aioclient_mock, freezer)
    rm = BatteryRm()
    _, link = await add_device(hass, entry, "battery", DeviceKind.BATTERY, rm, "Home battery")
    try:
        await replan(hass, freezer)
        await wait_for(lambda: len(rm.instructions) >= 2)
        loop = loop_of(entry)
        snap = loop.snapshot
        assert snap is not None
        assert snap.status is PlanStatus.OPTIMAL, loop.last_cycle
        # 10:00 today to the end of tomorrow: 38 hours of quarter hours.
        assert snap.slots == 152
        series = snap.devices["battery"]
        assert max(series.power_w) > 100
        assert min(series.power_w) < -100
        assert rm.instructions
        for instruction in rm.instructions:
            i = snap.index(instruction.execution_time)
            assert i is not None
            planned = series.power_w[i]
            want = "charge" if planned > 50 else "discharge" if planned < -50 else "idle"
            assert _mode_of(rm, instruction) == want
        assert snap.saving_eur >= 0
        assert loop.last_cycle["solver_status"] == "optimal"

        # Every 15 minutes the loop plans again from the measured state.
        cycles = loop.cycles
        freezer.move_to(dt_util.utcnow().replace(minute=15, second=0))
        async_fire_time_changed(hass)
        await replan(hass, freezer)
        assert loop.cycles == cycles + 1
        assert loop.last_cycle["reason"] in ("interval", "prices")
    finally:
        await link.stop()


async def test_device_models_are_built_off_the_event_loop(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    """Each device's state is taken on the event loop (cheap copies) and its planner model
    built from it in the executor job: per-slot work stays off the loop."""
    entry = await _setup(hass, aioclient_mock, freezer)
    device, link = await add_device(
        hass, entry, "battery", DeviceKind.BATTERY, BatteryRm(), "Home battery"
    )
    taken_on: list[int] = []
    built_on: list[int] = []
    capture = device.capture_model

    def recording_capture() -> Any:
        taken_on.append(threading.get_ident())
        build = capture()

        def recording_build(starts: Any, step: timedelta) -> Any:
            built_on.append(threading.get_ident())
            return build(starts, step)

        return recording_build

    device.capture_model = recording_capture
    try:
        loop = loop_of(entry)
        await loop.async_replan("test")
        event_loop_thread = threading.get_ident()
        assert taken_on == [event_loop_thread]
        assert len(built_on) == 1
        assert built_on[0] != event_loop_thread
        assert loop.snapshot is not None
        assert "battery" in loop.snapshot.devices
        assert loop.last_cycle["devices"] == 1
    finally:
        await link.stop()


async def test_wishes_limits_and_overrides_are_honoured_within_one_cycle(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """set_wish, set_grid_limit and override each shape the very next plan."""
    entry = await _setup(hass, aioclient_mock, freezer)
    battery_rm, car_rm = BatteryRm(), CarRm()
    _, battery_link = await add_device(
        hass, entry, "battery", DeviceKind.BATTERY, battery_rm, "Home battery"
    )
    _, car_link = await add_device(hass, entry, "car", DeviceKind.EV_CHARGER, car_rm, "Car")
    try:
        await replan(hass, freezer)
        loop = loop_of(entry)
        snap = loop.snapshot
        assert snap is not None
        car = snap.devices["car"]
        # The public default: 80 % by 07:00 (from 40 %: 24 kWh).
        assert car.display is not None
        assert car.display[-1] == pytest.approx(80.0, abs=0.5)
        assert sum(car.power_w) * 0.25 == pytest.approx(24_000, rel=1e-3)

        car_device = _device_id(hass, "car")
        await _call(hass, "set_wish", device_id=car_device, target_soc=90, ready_by="05:00:00")
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        car = snap.devices["car"]
        assert car.display is not None
        deadline = dt_util.as_utc(
            dt_util.start_of_local_day(TOMORROW + timedelta(days=0)) + timedelta(hours=5)
        )
        i = snap.index(deadline)
        assert i is not None
        assert car.display[i - 1] == pytest.approx(90.0, abs=0.5)
        assert all(p < 1 for p in car.power_w[i:])

        # An import limit of 3 kW tonight: the plan stays under it.
        start = dt_util.now().replace(hour=18, minute=0)
        end = start + timedelta(hours=4)
        await _call(
            hass, "set_grid_limit", import_limit=3000, start=start.isoformat(), end=end.isoformat()
        )
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        first, last = snap.index(start), snap.index(end)
        assert first is not None
        assert last is not None
        assert max(snap.grid_w[first:last]) <= 3000 + 1
        assert loop.grid_limit_now(start + timedelta(minutes=1)) == 3000
        assert loop.grid_limit_now(dt_util.utcnow()) == 17250

        # A wish that cannot fit under a limit is reported, and a repair issue says so.
        await _call(
            hass,
            "set_grid_limit",
            import_limit=500,
            end=(dt_util.now() + timedelta(hours=30)).isoformat(),
        )
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        assert snap.status is PlanStatus.RELAXED
        assert snap.reason is not None
        assert any(u["device"] == "Car" for u in snap.unmet)
        assert issue_registry.async_get_issue(DOMAIN, "wish_unmet_grid_limit_car") is not None
        loop.async_clear_grid_limits()
        await replan(hass, freezer)
        assert issue_registry.async_get_issue(DOMAIN, "wish_unmet_grid_limit_car") is None

        # Override: the battery charges at 3 kW for 30 minutes, then goes back to auto.
        await _call(
            hass,
            "override",
            device_id=_device_id(hass, "battery"),
            power=3000,
            duration={"minutes": 30},
        )
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        held = snap.devices["battery"]
        assert held.kind == "fixed"
        # Until 09:35: the slots from 10:00, 10:15 and 10:30 (local).
        assert held.power_w[:4] == [3000.0, 3000.0, 3000.0, 0.0]
        now = dt_util.utcnow()

        def now_instruction() -> Any:
            found = [
                i
                for i in battery_rm.instructions
                if now <= i.execution_time < now + timedelta(minutes=1)
            ]
            return found[-1] if found else None

        await wait_for(now_instruction)
        assert _mode_of(battery_rm, now_instruction()) == "charge"
        assert now_instruction().operation_mode_factor == pytest.approx(0.6)
        freezer.tick(timedelta(minutes=31))
        async_fire_time_changed(hass)
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        assert snap.devices["battery"].kind == "battery"
        assert not loop.overrides
    finally:
        await battery_link.stop()
        await car_link.stop()


async def test_modes_and_a_disconnected_device_are_planned_around(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Manual: its load is planned around, no instructions; off: left out; gone: left out."""
    entry = await _setup(hass, aioclient_mock, freezer)
    battery_rm, hp_rm = BatteryRm(), HeatPumpRm()
    battery, battery_link = await add_device(
        hass, entry, "battery", DeviceKind.BATTERY, battery_rm, "Home battery"
    )
    heat_pump, hp_link = await add_device(
        hass, entry, "heat_pump", DeviceKind.HEAT_PUMP, hp_rm, "Heat pump"
    )
    try:
        await replan(hass, freezer)
        loop = loop_of(entry)
        snap = loop.snapshot
        assert snap is not None
        assert snap.devices["heat_pump"].state_key == "indoor_c"
        assert snap.devices["battery"].state_key == "soc_pct"

        heat_pump.mode = DeviceMode.MANUAL
        entry.runtime_data.devices.notify()
        sent = len(heat_pump.session.instructions)
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        manual = snap.devices["heat_pump"]
        assert manual.kind == "fixed"
        assert not manual.instructed
        # Its measured power (42 W) is expected to last an hour.
        assert manual.power_w[:4] == [42.0] * 4
        assert len(heat_pump.session.instructions) == sent

        heat_pump.mode = DeviceMode.OFF
        entry.runtime_data.devices.notify()
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        assert "heat_pump" not in snap.devices

        battery_link.disconnect()
        await replan(hass, freezer)
        snap = loop.snapshot
        assert snap is not None
        assert "battery" not in snap.devices
        assert not battery.ready
        # Unreachable for longer than the grace period: a repair issue.
        freezer.tick(timedelta(minutes=11))
        await loop.async_replan("test")
        issue = issue_registry.async_get_issue(DOMAIN, "device_unreachable_battery")
        assert issue is not None
        assert issue.translation_placeholders == {"device": "Home battery"}
    finally:
        await battery_link.stop()
        await hp_link.stop()


async def test_a_restart_restores_the_plan_and_the_wishes(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _setup(hass, aioclient_mock, freezer)
    _, link = await add_device(hass, entry, "car", DeviceKind.EV_CHARGER, CarRm(), "Car")
    try:
        await _call(hass, "set_wish", device_id=_device_id(hass, "car"), target_soc=70)
        await _call(
            hass,
            "set_grid_limit",
            export_limit=2000,
            end=(dt_util.now() + timedelta(hours=2)).isoformat(),
        )
        await _call(
            hass, "override", device_id=_device_id(hass, "car"), mode="off", duration="01:00:00"
        )
        await replan(hass, freezer)
        loop = loop_of(entry)
        assert loop.snapshot is not None
        made = loop.snapshot.created
        loop.async_set_profile(Profile.CHEAPEST)
        await replan(hass, freezer)
        last = loop.snapshot
        assert last is not None
    finally:
        await link.stop()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    restored = loop_of(entry)
    assert restored is not loop
    assert restored.wish("car").target_soc == 70
    assert len(restored.grid_limits) == 1
    assert "car" in restored.overrides
    assert restored.profile is Profile.CHEAPEST
    assert restored.snapshot is not None
    assert restored.snapshot.created >= made
    # The last plan as it was stored (made in the cycle's executor job).
    assert restored.snapshot.created == last.created
    assert restored.snapshot.devices == last.devices
    assert restored.snapshot.grid_w == last.grid_w
    response = await _call(hass, "get_plan")
    assert response["status"] == "optimal"


async def test_get_plan_returns_the_plan(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _setup(hass, aioclient_mock, freezer)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_plan")
    assert err.value.translation_key == "no_plan"
    links = []
    for sid, kind, rm, name in (
        ("battery", DeviceKind.BATTERY, BatteryRm(), "Home battery"),
        ("car", DeviceKind.EV_CHARGER, CarRm(), "Car"),
        ("heat_pump", DeviceKind.HEAT_PUMP, HeatPumpRm(), "Heat pump"),
    ):
        links.append((await add_device(hass, entry, sid, kind, rm, name))[1])
    try:
        await _call(hass, "replan")
        response = await _call(hass, "get_plan")
    finally:
        for link in links:
            await link.stop()
    assert set(response) == {
        "status",
        "created",
        "cost_eur",
        "baseline_cost_eur",
        "unmet",
        "slots",
    }
    assert response["status"] == "optimal"
    assert response["created"] == "2025-11-26T10:05:00+01:00"
    assert response["unmet"] == []
    assert response["cost_eur"] <= response["baseline_cost_eur"]
    first = response["slots"][0]
    assert set(first) == {
        "start",
        "end",
        "import_price",
        "export_price",
        "grid_w",
        "base_load_w",
        "pv_w",
        "devices",
    }
    assert first["start"] == "2025-11-26T10:00:00+01:00"
    assert first["end"] == "2025-11-26T10:15:00+01:00"
    assert first["base_load_w"] == 400.0
    assert first["pv_w"] == 0.0
    assert set(first["devices"]) == {"Home battery", "Car", "Heat pump"}
    assert set(first["devices"]["Home battery"]) == {"power_w", "soc_pct"}
    assert set(first["devices"]["Car"]) == {"power_w", "soc_pct"}
    assert set(first["devices"]["Heat pump"]) == {"power_w", "indoor_c"}
    for slot in response["slots"]:
        drawn = slot["base_load_w"] + sum(d["power_w"] for d in slot["devices"].values())
        assert slot["grid_w"] == pytest.approx(drawn + slot["pv_w"], abs=1.0)


async def test_without_prices_the_devices_follow_their_baseline(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Prices only for a past day: a baseline plan (never nothing) and, later, a repair."""
    entry = await _setup(hass, aioclient_mock, freezer, prices=a44(TODAY - timedelta(days=3)))
    rm = CarRm()
    _, link = await add_device(hass, entry, "car", DeviceKind.EV_CHARGER, rm, "Car")
    try:
        await replan(hass, freezer)
        loop = loop_of(entry)
        snap = loop.snapshot
        assert snap is not None
        assert snap.status is PlanStatus.BASELINE
        assert snap.reason == "no prices"
        # The baseline: the car charges at full power from now.
        assert snap.devices["car"].power_w[0] == pytest.approx(11000.0)
        await wait_for(lambda: rm.instructions)
        assert issue_registry.async_get_issue(DOMAIN, "no_prices") is None
        freezer.tick(timedelta(minutes=11))
        await loop.async_replan("test")
        assert issue_registry.async_get_issue(DOMAIN, "no_prices") is not None
    finally:
        await link.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, "no_prices") is None


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("set_wish", {"device_id": "nope", "target_soc": 50}, "unknown_device"),
        ("set_wish", {"device_id": "car"}, "no_wish"),
        ("set_wish", {"device_id": "car", "comfort_low": 20}, "wish_not_for_device"),
        (
            "set_wish",
            {"device_id": "heat_pump", "comfort_low": 22, "comfort_high": 20},
            "invalid_comfort_band",
        ),
        ("override", {"device_id": "car", "duration": "00:30:00"}, "override_power_or_mode"),
        (
            "override",
            {"device_id": "car", "power": 1, "mode": "off", "duration": "00:30:00"},
            "override_power_or_mode",
        ),
        (
            "override",
            {"device_id": "car", "mode": "off", "duration": "25:00:00"},
            "override_too_long",
        ),
        ("set_grid_limit", {"end": "2025-11-26 12:00:00"}, "no_limit"),
        (
            "set_grid_limit",
            {"import_limit": 1000, "end": "2025-11-26 09:00:00"},
            "invalid_limit_window",
        ),
    ],
)
async def test_actions_refuse_bad_input_with_translated_errors(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    entry = await _setup(hass, aioclient_mock, freezer)
    _, car = await add_device(hass, entry, "car", DeviceKind.EV_CHARGER, CarRm(), "Car")
    _, hp = await add_device(
        hass, entry, "heat_pump", DeviceKind.HEAT_PUMP, HeatPumpRm(), "Heat pump"
    )
    try:
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, service, **data)
        assert err.value.translation_key == key
    finally:
        await car.stop()
        await hp.stop()


async def test_a_plan_not_made_in_time_leaves_the_last_good_plan_running(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The solver's time limit runs out: the last good plan keeps running (never nothing), and
    without one the devices follow the baseline."""
    entry = await _setup(hass, aioclient_mock, freezer)
    rm = BatteryRm()
    _, link = await add_device(hass, entry, "battery", DeviceKind.BATTERY, rm, "Home battery")
    loop = loop_of(entry)
    try:
        monkeypatch.setattr("custom_components.open_hem.planner.cycle.PLAN_TIME_LIMIT_S", 1e-9)
        await replan(hass, freezer)
        first = loop.snapshot
        assert first is not None
        assert first.status is PlanStatus.BASELINE, loop.last_cycle
        assert loop.last_cycle["solver_status"] == "baseline"

        monkeypatch.setattr("custom_components.open_hem.planner.cycle.PLAN_TIME_LIMIT_S", 120.0)
        await _call(hass, "replan")
        good = loop.snapshot
        assert good is not None
        assert good.status is PlanStatus.OPTIMAL, loop.last_cycle

        monkeypatch.setattr("custom_components.open_hem.planner.cycle.PLAN_TIME_LIMIT_S", 1e-9)
        await _call(hass, "replan")
        assert loop.last_cycle["solver_status"] == "baseline"
        assert loop.snapshot is good
        assert loop.last_error == "the planner found no plan in time"
        assert hass.states.get("sensor.open_hem_plan_status").state == "optimal"
    finally:
        await link.stop()

"""The CEM's handlers on what the in-process RMs send: kinds guessed, drift, units."""

from __future__ import annotations

from datetime import timedelta

import pytest

from open_hem_core.s2 import EventKind, PowerPlan, units
from open_hem_core.s2.control.frbc import FRBCHandler
from open_hem_core.s2.rm import (
    BatteryParams,
    BatteryRM,
    BatteryState,
    EVChargerRM,
    EVParams,
    EVState,
    HeatPumpParams,
    HeatPumpRM,
    HeatPumpState,
)

from .harness import T0, Rig, connect

SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(4))


async def test_frbc_guesses_each_rms_kind() -> None:
    """Battery (charges and discharges), EV (charges only), hot water (°C)."""
    kinds = []
    for rm_class, params, state in (
        (BatteryRM, BatteryParams(), BatteryState(soc_pct=50.0)),
        (EVChargerRM, EVParams(), EVState(plugged_in=True, car_soc_pct=30.0)),
        (HeatPumpRM, HeatPumpParams(), HeatPumpState(tank_c=50.0)),
    ):
        rig = Rig()
        rm = rm_class("x", params, **rig.kwargs())  # type: ignore[operator]
        rm.state = state
        link = await connect(rig, rm)
        control = link.session.control
        assert isinstance(control, FRBCHandler)
        kinds.append(control.guess_kind())
        with pytest.raises(ValueError, match="unknown device kind"):
            control.device_model("x", STARTS, kind="boat")
    assert kinds == ["battery", "ev", "hot_water"]
    with pytest.raises(ValueError, match="no system description"):
        FRBCHandler().guess_kind()


async def test_a_drifting_soc_resends_the_plan() -> None:
    """The battery's SOC moves away from the plan's: the session replans its instructions."""
    rig = Rig()
    rm = BatteryRM("Battery", BatteryParams(), **rig.kwargs())
    rm.state = BatteryState(soc_pct=50.0, power_w=0.0)
    link = await connect(rig, rm)
    session = link.session
    events: list[EventKind] = []
    session.add_listener(lambda e: events.append(e.kind))
    plan = PowerPlan(STARTS, SLOT, (1000.0, 1000.0, 0.0, 0.0), state=(0.52, 0.54, 0.54, 0.54))
    await session.apply_plan(plan)
    await rig.settle()
    rm.state = BatteryState(soc_pct=51.0, power_w=1000.0)
    await rm.refresh()
    await rig.settle()
    assert EventKind.REPLAN not in events
    rm.state = BatteryState(soc_pct=80.0, power_w=1000.0)
    await rm.refresh()
    await rig.settle()
    assert EventKind.REPLAN in events


def test_units_both_ways() -> None:
    """Signs and units at the HA boundary."""
    assert units.s2_to_ha_battery_power(1000.0) == -1000.0
    assert units.ha_battery_power_to_s2(-1000.0) == 1000.0
    assert units.ms_to_timedelta(1500) == timedelta(seconds=1.5)
    assert units.timedelta_to_ms(timedelta(seconds=1.5)) == 1500
    with pytest.raises(ValueError, match=">= 0"):
        units.timedelta_to_ms(timedelta(seconds=-1))
    assert units.per_second_to_per_hour(1.0) == 3600.0
    assert units.per_hour_to_per_second(3600.0) == 1.0
    assert units.fill_change(0.5, timedelta(seconds=10)) == 5.0
    assert units.watt_hours(1000.0, timedelta(minutes=30)) == 500.0

"""RM instruction lifecycles: superseded envelopes, a control type switch, idle paths."""

from __future__ import annotations

from datetime import timedelta

from open_hem_core.s2 import PowerPlan
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
    PVInverterRM,
    PVParams,
    PVState,
    SetLimit,
    battery_model,
)
from open_hem_core.s2.rm.base import ResourceManager

from .harness import T0, Rig, connect

SLOT = timedelta(minutes=15)


async def test_a_new_envelope_supersedes_a_running_one() -> None:
    rig = Rig()
    rm = PVInverterRM("PV", PVParams(peak_w=4000.0, curtailable=True), **rig.kwargs())
    rm.state = PVState(power_w=3000.0)
    link = await connect(rig, rm)
    starts = tuple(T0 + i * SLOT for i in range(3))
    await link.session.apply_plan(
        PowerPlan(starts, SLOT, (-1000.0,) * 3, curtailed_w=(2000.0, 0.0, 2000.0))
    )
    await rig.settle()
    assert rig.commands == [(T0, SetLimit(1000.0))]
    rig.clock.t += timedelta(minutes=5)
    now = rig.clock.now()
    await link.session.apply_plan(PowerPlan((now,), SLOT, (-500.0,), curtailed_w=(2500.0,)))
    await rig.settle()
    assert rig.commands[-1] == (now, SetLimit(500.0))
    assert next(iter(rm.instruction_status.values())) == "SUCCEEDED"
    # A job that was superseded never runs its later steps.
    await rig.advance(SLOT)
    assert rig.commands[-1] == (now, SetLimit(500.0))
    await rm.set_controlled(True)  # already: nothing changes


async def test_switching_control_type_aborts_pending_instructions() -> None:
    rig = Rig()
    rm = EVChargerRM("Car", EVParams(), **rig.kwargs())
    rm.state = EVState(plugged_in=True, car_soc_pct=20.0)
    link = await connect(rig, rm)
    starts = tuple(T0 + i * SLOT for i in range(2))
    await link.session.apply_plan(PowerPlan(starts, SLOT, (0.0, 11040.0)))
    await rig.settle()
    assert rm.pending_instructions == 1
    rm.state = EVState(plugged_in=True)
    await rm.refresh()
    await rig.settle()
    # The FRBC instruction is aborted; the kept plan comes back as a PEBC envelope.
    assert "ABORTED" in rm.instruction_status.values()
    assert link.session.active_control_type.value == "POWER_ENVELOPE_BASED_CONTROL"


async def test_idle_paths() -> None:
    rig = Rig()
    rm = BatteryRM("Battery", BatteryParams(), **rig.kwargs())
    assert battery_model(None, "Battery", (T0,), SLOT) is None
    assert ResourceManager.measurement_w(rm) is None
    hp = HeatPumpRM("HP", HeatPumpParams(min_w=500.0), **rig.kwargs())
    hp.state = HeatPumpState(running=True, power_w=1250.0)
    assert hp._factor() == 0.5
    rm.state = BatteryState(soc_pct=10.0)
    link = await connect(rig, rm)
    await link.session.apply_plan(PowerPlan((T0 + SLOT,), SLOT, (1000.0,)))
    await rig.settle()
    rm.closed = True
    await rig.advance(SLOT)
    assert rig.commands == []

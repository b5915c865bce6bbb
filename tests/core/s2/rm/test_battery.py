"""The entity-backed battery RM against a real CemSession."""

from __future__ import annotations

from datetime import timedelta

from open_hem_core.planner import Battery
from open_hem_core.s2 import PowerPlan, SessionState
from open_hem_core.s2.rm import BatteryParams, BatteryRM, BatteryState, SetPower, battery_model

from .harness import T0, Rig, connect

SLOT = timedelta(minutes=15)


async def test_battery_end_to_end() -> None:
    rig = Rig()
    rm = BatteryRM("Battery", BatteryParams(), **rig.kwargs())
    rm.state = BatteryState(soc_pct=50.0, power_w=0.0)
    link = await connect(rig, rm)
    session = link.session
    assert session.state is SessionState.ACTIVE
    assert session.active_control_type.value == "FILL_RATE_BASED_CONTROL"
    assert session.rm_details is not None
    assert session.rm_details.roles == (("ENERGY_STORAGE", "ELECTRICITY"),)
    assert session.control is not None
    assert session.control.ready
    starts = tuple(T0 + i * SLOT for i in range(4))
    model = battery_model(session.control, "Battery", starts, SLOT)
    assert isinstance(model, Battery)
    assert abs(model.capacity_wh - 10_000.0) < 1e-6
    assert abs(model.charge_efficiency - 0.95) < 1e-9
    assert model.max_charge_w == 5000.0
    assert model.max_discharge_w == 5000.0
    assert model.soc_initial == 0.5

    plan = PowerPlan(starts, SLOT, (2000.0, 2000.0, -3000.0, 0.0))
    sent = await session.apply_plan(plan)
    await rig.settle()
    assert len(sent) == 3
    assert rig.commands == [(T0, SetPower(2000.0))]
    await rig.advance(2 * SLOT)
    assert rig.commands[-1] == (T0 + 2 * SLOT, SetPower(-3000.0))
    await rig.advance(SLOT)
    assert rig.commands[-1] == (T0 + 3 * SLOT, SetPower(0.0))
    statuses = {r.status for r in session.instructions.values()}
    assert statuses == {"SUCCEEDED"}

    # A measurement and a new SOC reach the session.
    rm.state = BatteryState(soc_pct=60.0, power_w=-1500.0)
    await rm.refresh()
    await rig.settle()
    assert session.measurements["ELECTRIC.POWER.L1"].value_w == -1500.0
    assert session.control.fill_level == 60.0
    assert session.control.snapshot()["actuators"]
    await link.stop()
    assert rm.closed


async def test_battery_rejects_and_aborts() -> None:
    rig = Rig()
    rm = BatteryRM("Battery", BatteryParams(), **rig.kwargs())
    rm.state = BatteryState(soc_pct=50.0, power_w=100.0)
    link = await connect(rig, rm)
    session = link.session
    starts = tuple(T0 + i * SLOT for i in range(2))
    await rm.set_controlled(False)
    await session.apply_plan(PowerPlan(starts, SLOT, (1000.0, 0.0)))
    await rig.settle()
    assert set(rm.instruction_status.values()) == {"REJECTED"}
    assert rig.commands == []
    await rm.set_controlled(True)
    rig.fail = True
    await session.apply_plan(PowerPlan(starts, SLOT, (2000.0, -1000.0)))
    await rig.settle()
    assert "ABORTED" in rm.instruction_status.values()
    # The second is waiting; giving up control aborts it.
    assert rm.pending_instructions == 1
    await rm.set_controlled(False)
    await rig.settle()
    assert rm.pending_instructions == 0
    assert list(rm.instruction_status.values()).count("ABORTED") == 2

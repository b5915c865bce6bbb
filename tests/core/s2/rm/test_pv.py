"""The entity-backed PV inverter RM: PEBC curtailment or NOT_CONTROLABLE."""

from __future__ import annotations

from datetime import timedelta

from open_hem_core.planner import PVInverter
from open_hem_core.s2 import PowerPlan, SessionState
from open_hem_core.s2.rm import PVInverterRM, PVParams, PVState, SetLimit, pv_model

from .harness import T0, Rig, connect

SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(4))


async def test_curtailable_pv() -> None:
    rig = Rig()
    params = PVParams(peak_w=4000.0, curtailable=True)
    rm = PVInverterRM("PV", params, **rig.kwargs())
    rm.state = PVState(power_w=3000.0)
    link = await connect(rig, rm)
    session = link.session
    assert session.active_control_type.value == "POWER_ENVELOPE_BASED_CONTROL"
    assert session.measurements["ELECTRIC.POWER.L1"].value_w == -3000.0
    model = pv_model(session.control, "PV", STARTS, SLOT, params)
    assert isinstance(model, PVInverter)
    assert model.curtailable
    assert model.max_ac_w == 4000.0
    plan = PowerPlan(
        STARTS, SLOT, (-3000.0, -1000.0, -1000.0, -3000.0), curtailed_w=(0.0, 2000.0, 2000.0, 0.0)
    )
    await session.apply_plan(plan)
    await rig.settle()
    assert rig.commands == [(T0, SetLimit(None))]
    await rig.advance(SLOT)
    assert rig.commands[-1] == (T0 + SLOT, SetLimit(1000.0))
    await rig.advance(2 * SLOT)
    assert rig.commands[-1] == (T0 + 3 * SLOT, SetLimit(None))
    assert len(rig.commands) == 3


async def test_pv_without_limit_is_not_controllable() -> None:
    rig = Rig()
    params = PVParams(peak_w=3000.0)
    rm = PVInverterRM("PV", params, **rig.kwargs())
    rm.state = PVState(power_w=1200.0)
    link = await connect(rig, rm)
    session = link.session
    assert session.state is SessionState.CONNECTED
    assert session.active_control_type.value == "NOT_CONTROLABLE"
    assert session.control is None
    assert session.measurements["ELECTRIC.POWER.L1"].value_w == -1200.0
    model = pv_model(session.control, "PV", STARTS, SLOT, params)
    assert not model.curtailable
    assert model.max_ac_w == 3000.0
    assert await session.apply_plan(PowerPlan(STARTS, SLOT, (0.0,) * 4)) == []

    class Msg:
        power_constraints_id = rm.object_id("constraints")
        power_envelopes: tuple[object, ...] = ()

    assert rm.steps("PEBC.Instruction", Msg) == "no power envelope"
    Msg.power_constraints_id = "x"
    assert rm.steps("PEBC.Instruction", Msg) == "unknown power constraints"

"""The entity-backed EV charger RM: FRBC with the car's SOC, PEBC without, 6 A minimum."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from open_hem_core.planner import EVCharger
from open_hem_core.s2 import PowerPlan
from open_hem_core.s2.rm import EVChargerRM, EVParams, EVState, SetCurrent, ev_model
from open_hem_core.s2.rm.ev import EVParams as Params

from .harness import T0, Rig, connect

SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(8))


def test_amps_respect_the_minimum() -> None:
    p = Params()
    assert p.min_w == 6 * 3 * 230
    assert p.amps(0.0) == 0.0
    assert p.amps(p.min_w - 100) == 0.0
    assert p.amps(p.min_w) == 6.0
    assert p.amps(8000.0) == 11.5
    assert p.amps(50_000.0) == 16.0
    assert Params(phases=1).amps(1380.0) == 6.0


async def test_ev_frbc_then_pebc() -> None:
    rig = Rig()
    rm = EVChargerRM("Car", EVParams(), **rig.kwargs())
    departure = T0 + 2 * timedelta(hours=1)
    rm.state = EVState(plugged_in=True, power_w=0.0, car_soc_pct=50.0, departure=departure)
    link = await connect(rig, rm)
    session = link.session
    assert session.active_control_type.value == "FILL_RATE_BASED_CONTROL"
    model = ev_model(session.control, "Car", STARTS, SLOT, rm.params)
    assert isinstance(model, EVCharger)
    assert model.min_w == rm.params.min_w
    assert model.max_w == rm.params.max_w
    assert model.deadline_slot == 8
    assert abs(model.energy_wh - 0.3 * 60_000 / 0.9) < 1.0

    plan = PowerPlan(STARTS[:3], SLOT, (11040.0, 5000.0, 0.0))
    await session.apply_plan(plan)
    await rig.settle()
    assert rig.commands == [(T0, SetCurrent(16.0))]
    await rig.advance(SLOT)
    assert rig.commands[-1][1] == SetCurrent(7.2)
    await rig.advance(SLOT)
    assert rig.commands[-1][1] == SetCurrent(0.0)

    # The car's SOC is gone: the RM offers PEBC and the CEM switches.
    rm.state = EVState(plugged_in=True, power_w=4200.0, car_soc_pct=None, departure=departure)
    await rm.refresh()
    await rig.settle()
    assert session.active_control_type.value == "POWER_ENVELOPE_BASED_CONTROL"
    now = rig.clock.now()
    starts = tuple(now + i * SLOT for i in range(4))
    model = ev_model(session.control, "Car", starts, SLOT, rm.params)
    assert isinstance(model, EVCharger)
    assert model.min_w == rm.params.min_w
    assert model.energy_wh > 9_000.0
    rig.commands.clear()
    await session.apply_plan(PowerPlan(starts, SLOT, (8000.0, 8000.0, 2000.0, 4140.0)))
    await rig.settle()
    assert rig.commands == [(now, SetCurrent(11.5))]
    await rig.advance(2 * SLOT)
    assert rig.commands[-1] == (now + 2 * SLOT, SetCurrent(0.0))
    await rig.advance(SLOT)
    assert rig.commands[-1] == (now + 3 * SLOT, SetCurrent(6.0))
    # Unplugged: the energy constraint is gone.
    rm.state = EVState(plugged_in=False, power_w=0.0)
    await rm.refresh()
    await rig.settle()
    assert rm._energy_window is None


async def test_no_messages_of_a_control_type_no_longer_offered() -> None:
    """Between new details and the CEM's new selection the RM sends nothing of the old type."""
    rig = Rig()
    rm = EVChargerRM("Car", EVParams(), **rig.kwargs())
    departure = T0 + timedelta(hours=2)
    rm.state = EVState(plugged_in=True, power_w=0.0, car_soc_pct=50.0, departure=departure)
    link = await connect(rig, rm)
    assert link.session.active_control_type.value == "FILL_RATE_BASED_CONTROL"
    sent: list[str] = []
    send = rm._send

    async def recording(message: dict[str, Any]) -> None:
        sent.append(message["message_type"])
        await send(message)

    rm._send = recording  # type: ignore[method-assign]
    rm.state = EVState(plugged_in=True, power_w=4200.0, car_soc_pct=None, departure=departure)
    await rm.refresh()  # new details: PEBC only
    rm.state = EVState(plugged_in=True, power_w=4300.0, car_soc_pct=None, departure=departure)
    await rm.refresh()  # before the CEM has selected again
    await rig.settle()
    assert link.session.active_control_type.value == "POWER_ENVELOPE_BASED_CONTROL"
    assert sent[0] == "ResourceManagerDetails"
    assert not [t for t in sent if t.startswith("FRBC.")], sent
    assert "PEBC.PowerConstraints" in sent


async def test_ev_without_departure_and_bad_instructions() -> None:
    rig = Rig()
    rm = EVChargerRM("Car", EVParams(phases=1), **rig.kwargs())
    rm.state = EVState(plugged_in=True, power_w=3000.0, car_soc_pct=20.0)
    link = await connect(rig, rm)
    assert rm.commodity_quantity == "ELECTRIC.POWER.L1"
    assert link.session.control.snapshot()["actuators"]
    assert ev_model(None, "Car", STARTS, SLOT, rm.params) is None

    class Msg:
        actuator_id = "nope"
        execution_time = T0

    assert rm.steps("FRBC.Instruction", Msg) == "unknown actuator"
    Msg.actuator_id = rm.object_id("actuator")
    Msg.operation_mode = "nope"  # type: ignore[attr-defined]
    assert rm.steps("FRBC.Instruction", Msg) == "unknown operation mode"
    Msg.power_constraints_id = "nope"  # type: ignore[attr-defined]
    assert rm.steps("PEBC.Instruction", Msg) == "unknown power constraints"
    Msg.power_constraints_id = rm.object_id("constraints")  # type: ignore[attr-defined]
    Msg.power_envelopes = []  # type: ignore[attr-defined]
    assert "no envelope" in str(rm.steps("PEBC.Instruction", Msg))

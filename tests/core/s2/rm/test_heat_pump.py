"""The entity-backed heat pump RM: OMBC with timers, FRBC for a hot-water tank."""

from __future__ import annotations

from datetime import timedelta

from open_hem_core.planner import HeatPump, HotWaterBuffer, ThermalHouse
from open_hem_core.s2 import PowerPlan
from open_hem_core.s2.rm import (
    HeatPumpParams,
    HeatPumpRM,
    HeatPumpState,
    SetMode,
    heat_pump_model,
)

from .harness import T0, Rig, connect

SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(4))


async def test_on_off_heat_pump_with_timers() -> None:
    rig = Rig()
    params = HeatPumpParams(min_run_s=1800, min_pause_s=900)
    rm = HeatPumpRM("Heat pump", params, **rig.kwargs())
    rm.state = HeatPumpState(power_w=0.0, indoor_c=20.0)
    link = await connect(rig, rm)
    session = link.session
    assert session.active_control_type.value == "OPERATION_MODE_BASED_CONTROL"
    model = heat_pump_model(session.control, "HP", STARTS, SLOT, params=params, state=rm.state)
    assert isinstance(model, HeatPump)
    assert isinstance(model.thermal, ThermalHouse)
    assert model.thermal.t_initial_c == 20.0
    assert model.min_run_slots == 2
    assert model.min_pause_slots == 1
    assert not model.initially_on
    await session.apply_plan(PowerPlan(STARTS, SLOT, (2000.0, 0.0, 0.0, 2000.0)))
    await rig.settle()
    assert rig.commands == [(T0, SetMode("on", 2000.0))]
    # The minimum run keeps it on for the second slot.
    await rig.advance(2 * SLOT)
    assert rig.commands[-1] == (T0 + 2 * SLOT, SetMode("off"))
    await rig.advance(SLOT)
    assert rig.commands[-1] == (T0 + 3 * SLOT, SetMode("on", 2000.0))
    rm.state = HeatPumpState(running=True, power_w=1900.0)
    await rm.refresh()
    await rig.settle()
    assert session.control.snapshot()["operation_mode"] == rm.object_id("on")
    model = heat_pump_model(session.control, "HP", STARTS, SLOT, params=params, state=rm.state)
    assert model is not None
    assert model.initially_on
    assert model.thermal.t_initial_c == 20.5  # type: ignore[union-attr]


async def test_modulating_hot_water_tank() -> None:
    rig = Rig()
    params = HeatPumpParams(min_w=800.0, rated_w=2000.0)
    rm = HeatPumpRM("Boiler", params, **rig.kwargs())
    rm.state = HeatPumpState(power_w=0.0, tank_c=48.0)
    link = await connect(rig, rm)
    session = link.session
    assert session.active_control_type.value == "FILL_RATE_BASED_CONTROL"
    model = heat_pump_model(session.control, "HP", STARTS, SLOT, params=params, state=rm.state)
    assert isinstance(model, HeatPump)
    assert isinstance(model.thermal, HotWaterBuffer)
    assert abs(model.thermal.volume_l - 200.0) < 1.0
    assert model.thermal.t_initial_c == 48.0
    await session.apply_plan(PowerPlan(STARTS, SLOT, (1400.0, 0.0, 0.0, 0.0)))
    await rig.settle()
    assert rig.commands == [(T0, SetMode("on", 1400.0))]
    await rig.advance(SLOT)
    assert rig.commands[-1][1] == SetMode("off")
    # The tank sensor goes: OMBC, with the tank from the parameters.
    rm.state = HeatPumpState(power_w=0.0)
    await rm.refresh()
    await rig.settle()
    assert session.active_control_type.value == "OPERATION_MODE_BASED_CONTROL"
    last_tank = HeatPumpState(tank_c=50.0)
    model = heat_pump_model(session.control, "HP", STARTS, SLOT, params=params, state=last_tank)
    assert model is not None
    assert isinstance(model.thermal, HotWaterBuffer)
    assert model.min_w == 800.0
    assert heat_pump_model(None, "HP", STARTS, SLOT, params=params, state=rm.state) is None

    class Msg:
        actuator_id = "nope"
        operation_mode_id = "nope"
        operation_mode_factor = 0.0
        execution_time = T0

    assert rm.steps("FRBC.Instruction", Msg) == "unknown actuator"
    assert rm.steps("OMBC.Instruction", Msg) == "unknown operation mode"


async def test_a_power_limit_lets_the_plan_set_any_power_up_to_the_rating() -> None:
    """With a power limit and no minimum, a planned 810 W runs it at 810 W (it used to be
    switched off: the plan modulated while the RM offered only "on at 2500 W")."""
    rig = Rig()
    params = HeatPumpParams(rated_w=2500.0, modulating=True)
    rm = HeatPumpRM("HP", params, **rig.kwargs())
    rm.state = HeatPumpState(power_w=0.0, indoor_c=20.5)
    link = await connect(rig, rm)
    session = link.session
    model = heat_pump_model(session.control, "HP", STARTS, SLOT, params=params, state=rm.state)
    assert isinstance(model, HeatPump)
    assert (model.min_w, model.max_w) == (0.0, 2500.0)
    await session.apply_plan(PowerPlan(STARTS, SLOT, (810.0, 2500.0, 0.0, 0.0)))
    await rig.settle()
    assert rig.commands == [(T0, SetMode("on", 810.0))]
    await rig.advance(SLOT)
    assert rig.commands[-1][1] == SetMode("on", 2500.0)
    await rig.advance(SLOT)
    assert rig.commands[-1][1] == SetMode("off")

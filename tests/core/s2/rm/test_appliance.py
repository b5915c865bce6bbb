"""The entity-backed appliance RM: one PPBC power profile per run."""

from __future__ import annotations

from datetime import timedelta

from open_hem_core.s2.control import ProfileSchedule, ShiftableLoad
from open_hem_core.s2.rm import (
    ApplianceParams,
    ApplianceRM,
    ApplianceState,
    Start,
    appliance_model,
)

from .harness import T0, Rig, connect

SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(48))


async def test_appliance_run() -> None:
    rig = Rig()
    params = ApplianceParams(duration_s=3600, power_w=800.0)
    rm = ApplianceRM("Dishwasher", params, **rig.kwargs())
    rm.state = ApplianceState(ready=True, latest_end=T0 + timedelta(hours=8))
    link = await connect(rig, rm)
    session = link.session
    assert session.active_control_type.value == "POWER_PROFILE_BASED_CONTROL"
    load = appliance_model(session.control, "Dishwasher", STARTS, SLOT)
    assert isinstance(load, ShiftableLoad)
    assert load.parts[0].alternatives == ((800.0,) * 4,)
    assert load.earliest_start_slot == 0
    assert load.latest_end_slot == 32
    await session.apply_plan(ProfileSchedule(STARTS, SLOT, {0: (0, 8)}))
    await rig.settle()
    assert rm.run_status == "SCHEDULED"
    assert session.control.snapshot()["containers"]
    await rig.advance(8 * SLOT)
    assert rig.commands == [(T0 + 8 * SLOT, Start())]
    assert rm.run_status == "EXECUTING"
    rm.state = ApplianceState(ready=True, running=True, power_w=800.0, latest_end=rm.profile_end)
    await rm.refresh()
    rm.state = ApplianceState(ready=True, running=False, latest_end=rm.profile_end)
    await rm.refresh()
    await rig.settle()
    assert rm.run_status == "FINISHED"
    # A later window: a new run (the loop has dropped the old run's schedule).
    await session.apply_plan(ProfileSchedule(STARTS, SLOT, {}))
    rm.state = ApplianceState(ready=True, latest_end=T0 + timedelta(days=1, hours=8))
    await rm.refresh()
    await rig.settle()
    assert rm.run_status == "NOT_SCHEDULED"
    assert rm.profile is not None
    assert rm.profile["id"] == rm.object_id("profile2")


async def test_appliance_revoked_when_no_longer_ready() -> None:
    rig = Rig()
    rm = ApplianceRM("Washer", ApplianceParams(), **rig.kwargs())
    rm.state = ApplianceState(ready=True, latest_end=T0 - timedelta(hours=1))
    link = await connect(rig, rm)
    session = link.session
    assert rm.profile_end == T0 + timedelta(hours=24)
    assert session.control.ready
    rm.state = ApplianceState(ready=False)
    await rm.refresh()
    await rig.settle()
    assert not session.control.ready
    assert appliance_model(session.control, "Washer", STARTS, SLOT) is None
    # Started by hand before it was scheduled; finished; then no longer ready.
    rm.state = ApplianceState(ready=True)
    await rm.refresh()
    rm.state = ApplianceState(ready=True, running=True)
    await rm.refresh()
    rm.state = ApplianceState(ready=False, running=False)
    await rm.refresh()
    assert rm.run_status == "FINISHED"
    rm.state = ApplianceState(ready=False)
    await rm.refresh()
    assert rm.profile is None

    class Msg:
        power_profile_id = "nope"
        sequence_container_id = "nope"
        power_sequence_id = "nope"
        execution_time = T0

    assert rm.steps("PPBC.StartInterruptionInstruction", Msg) == (
        "the programme cannot be interrupted"
    )
    assert rm.steps("PPBC.ScheduleInstruction", Msg) == "unknown power profile"
    rm.state = ApplianceState(ready=True)
    await rm.refresh()
    Msg.power_profile_id = rm.profile["id"]  # type: ignore[index]
    assert rm.steps("PPBC.ScheduleInstruction", Msg) == "unknown power sequence"
    Msg.sequence_container_id = rm.profile["container"]  # type: ignore[index]
    Msg.power_sequence_id = rm.profile["sequence"]  # type: ignore[index]
    rm.run_status = "FINISHED"
    assert rm.steps("PPBC.ScheduleInstruction", Msg) == "the programme has run"
    await link.stop()

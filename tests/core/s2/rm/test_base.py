"""The RM base: frames it refuses, revocations, session ends, the default loop helpers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
from typing import Any

from open_hem_core.s2 import PowerPlan, SessionState
from open_hem_core.s2.rm import BatteryParams, BatteryRM, BatteryState, InMemoryLink, SetPower
from open_hem_core.s2.rm.base import Command, loop_schedule

from .harness import T0, FakeClock, Rig, connect

SLOT = timedelta(minutes=15)
STARTS = tuple(T0 + i * SLOT for i in range(3))


def _battery(rig: Rig) -> BatteryRM:
    rm = BatteryRM("Battery", BatteryParams(), **rig.kwargs())
    rm.state = BatteryState(soc_pct=40.0, power_w=0.0)
    return rm


async def test_frames_the_rm_refuses() -> None:
    rig = Rig()
    rm = _battery(rig)
    sent: list[dict[str, Any]] = []

    async def capture(text: str) -> None:
        sent.append(json.loads(text))

    rm.bind(capture)
    await rm.receive("not json")
    await rm.receive('{"message_type": "ReceptionStatus", "subject_message_id": "x"}')
    await rm.receive(
        json.dumps({"message_type": "FRBC.Instruction", "message_id": "abc-1", "id": "i1"})
    )
    await rm.receive(
        json.dumps(
            {
                "message_type": "PowerMeasurement",
                "message_id": "abc-2",
                "measurement_timestamp": T0.isoformat(),
                "values": [{"commodity_quantity": "ELECTRIC.POWER.L1", "value": 1.0}],
            }
        )
    )
    statuses = [m["status"] for m in sent]
    assert statuses[-1] == "INVALID_CONTENT"
    assert len(sent) == 3  # a broken ReceptionStatus is never answered

    async def broken(text: str) -> None:
        raise RuntimeError("gone")

    rm.bind(broken)
    await rm.receive("{}")  # logged, never raised


async def test_revoke_session_end_and_unknown_ids() -> None:
    rig = Rig()
    rm = _battery(rig)
    link = await connect(rig, rm)
    session = link.session
    await session.apply_plan(PowerPlan(STARTS, SLOT, (0.0, 1000.0, 2000.0)))
    await rig.settle()
    assert rm.pending_instructions == 2
    # A new plan revokes the future instructions.
    await session.apply_plan(PowerPlan(STARTS, SLOT, (0.0, 0.0, 0.0)))
    await rig.settle()
    assert list(rm.instruction_status.values()).count("REVOKED") == 2
    assert rm.pending_instructions == 0

    class Msg:
        actuator_id = "nope"

    assert rm.steps("FRBC.Instruction", Msg) == "unknown actuator"
    Msg.actuator_id = rm.object_id("actuator")
    Msg.operation_mode = "nope"  # type: ignore[attr-defined]
    assert rm.steps("FRBC.Instruction", Msg) == "unknown operation mode"
    await session.select_control_type("NOT_CONTROLABLE")
    await rig.settle()
    # The CEM ends the session: the RM is told and sends nothing more.
    await link.stop()
    await rig.settle()
    assert rm.closed
    await rm.refresh()
    await rm.start()


async def test_instruction_it_cannot_read_is_rejected() -> None:
    rig = Rig()
    rm = _battery(rig)
    link = await connect(rig, rm)

    def broken(message_type: str, message: Any) -> Any:
        raise ValueError("no")

    rm.steps = broken  # type: ignore[method-assign]
    await link.session.apply_plan(PowerPlan(STARTS, SLOT, (1000.0, 0.0, 0.0)))
    await rig.settle()
    assert set(rm.instruction_status.values()) == {"REJECTED"}

    def nothing(message_type: str, message: Any) -> Any:
        return []

    rm.steps = nothing  # type: ignore[method-assign]
    await link.session.apply_plan(PowerPlan(STARTS, SLOT, (2000.0, 0.0, 0.0)))
    await rig.settle()
    assert "SUCCEEDED" in rm.instruction_status.values()


async def test_rm_asks_to_end_and_cem_closes() -> None:
    rig = Rig()
    rm = _battery(rig)
    link = await connect(rig, rm)
    # The CEM's session closes (a transport loss): the RM hears of it.
    await link.session.close("bye")
    assert rm.closed
    assert link.session.state is SessionState.CLOSED


async def test_default_spawn_and_loop_schedule() -> None:
    clock = FakeClock()
    done: list[Command] = []

    async def actuate(command: Command) -> bool:
        done.append(command)
        return True

    rm = BatteryRM("Battery", BatteryParams(), actuate=actuate, clock=clock)
    rm.state = BatteryState(soc_pct=40.0, power_w=0.0)
    link = InMemoryLink(rm, clock=clock)
    await link.start()
    for _ in range(50):
        await asyncio.sleep(0)
    assert link.session.state is SessionState.ACTIVE
    fired = asyncio.Event()
    cancel = loop_schedule(clock)(T0, fired.set)
    await asyncio.wait_for(fired.wait(), 1)
    cancel()
    await link.session.apply_plan(PowerPlan(STARTS, SLOT, (1000.0, 0.0, 0.0)))
    for _ in range(50):
        await asyncio.sleep(0)
    assert done == [SetPower(1000.0)]
    await link.stop()


async def test_an_in_process_rm_is_answered_however_many_instructions_a_replan_sends() -> None:
    """Plans that change every slot, one after another: hundreds of revokes, instructions and
    statuses in one go, every one answered (the network rate limit used to drop the RM's
    answers, leaving instructions unanswered and the battery where the old plan put it)."""
    rig = Rig()
    rm = BatteryRM("Battery", BatteryParams(), **rig.kwargs())
    rm.state = BatteryState(soc_pct=50.0, power_w=0.0)
    link = await connect(rig, rm)
    starts = tuple(T0 + i * SLOT for i in range(96))
    for shift in range(4):
        power = tuple(float((i + shift) % 5) * 1000.0 - 2000.0 for i in range(96))
        await link.session.apply_plan(PowerPlan(starts, SLOT, power))
        await rig.settle()
    assert link.session.stats.rate_limited == 0
    waiting = [r for r in link.session.instructions.values() if r.status == "SENT"]
    assert waiting == []
    assert rig.commands[-1][1] == SetPower(-2000.0 + 3 * 1000.0)

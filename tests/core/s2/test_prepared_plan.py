"""Instruction drafts made off the event loop (``CemSession.prepare_plan``): used by
``apply_plan`` while current, made again when a control-type message arrived since, when
they are too old or for another plan."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json

from open_hem_core.s2 import CemSession, PowerPlan

from .devices import OnOffHeatPump
from .harness import details
from .test_session_unit import T0, FakeClock, Wire, ack, make

STEP = timedelta(minutes=15)


def a_plan(*power: float) -> PowerPlan:
    return PowerPlan(tuple(T0 + STEP * i for i in range(len(power))), STEP, power)


async def heat_pump_session() -> tuple[CemSession, Wire, FakeClock, OnOffHeatPump]:
    session, wire, clock = make()
    await session.start()
    await session.receive(
        json.dumps({"message_type": "Handshake", "message_id": "rm-hs", "role": "RM"})
    )
    await session.receive(json.dumps(details("rm-det")))
    await session.receive(ack(wire, "SelectControlType"))
    hp = OnOffHeatPump()
    await session.receive(hp.system_description().to_json())
    return session, wire, clock, hp


def sent_modes(wire: Wire) -> list[tuple[str, str]]:
    return [(m["execution_time"], m["operation_mode_id"]) for m in wire.of_type("OMBC.Instruction")]


async def test_prepared_drafts_are_sent_as_made_in_a_worker_thread() -> None:
    session, wire, _, hp = await heat_pump_session()
    plan = a_plan(0.0, 2000.0, 2000.0, 0.0, 0.0, 2000.0)
    prepared = await asyncio.to_thread(session.prepare_plan, plan)
    assert prepared is not None
    assert not wire.of_type("OMBC.Instruction")  # preparing sends nothing
    sent = await session.apply_plan(plan, prepared)
    assert sent == [d.instruction_id for d in prepared.drafts]
    assert [m["id"] for m in wire.of_type("OMBC.Instruction")] == sent
    assert [mode for _, mode in sent_modes(wire)] == [hp.off, hp.on, hp.off, hp.on]


async def test_stale_drafts_are_made_again_on_the_loop() -> None:
    session, wire, clock, hp = await heat_pump_session()
    plan = a_plan(2000.0, 2000.0, 0.0, 0.0)
    # Another plan object than the one applied.
    other = session.prepare_plan(a_plan(2000.0, 2000.0, 0.0, 0.0))
    assert other is not None
    sent = await session.apply_plan(plan, other)
    assert sent
    assert not set(sent) & {d.instruction_id for d in other.drafts}

    # A status arrived after the drafts were made: the heat pump is on now, so the first
    # slot needs no new mode and the drafts made before would be wrong.
    later = a_plan(2000.0, 0.0, 0.0, 2000.0)
    prepared = session.prepare_plan(later)
    assert prepared is not None
    await session.receive(hp.status(on=True).to_json())
    sent = await session.apply_plan(later, prepared)
    assert sent
    assert not set(sent) & {d.instruction_id for d in prepared.drafts}
    fresh = session.prepare_plan(later)
    assert fresh is not None
    assert [(d.execution_time, d.key) for d in fresh.drafts] != [
        (d.execution_time, d.key) for d in prepared.drafts
    ]

    # Too old: made more than a second before they are applied.
    again = a_plan(0.0, 0.0, 2000.0, 2000.0)
    prepared = session.prepare_plan(again)
    assert prepared is not None
    clock.t += 2.0
    sent = await session.apply_plan(again, prepared)
    assert sent
    assert not set(sent) & {d.instruction_id for d in prepared.drafts}
    fresh = session.prepare_plan(again)
    assert fresh is not None
    assert [mode for _, mode in sent_modes(wire)[-len(sent) :]] == [d.key[1] for d in fresh.drafts]


async def test_nothing_is_prepared_without_a_control_type() -> None:
    session, _, _ = make()
    assert session.prepare_plan(a_plan(0.0)) is None


def test_solver_noise_around_zero_picks_idle_not_a_discharge_mode() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from open_hem_core.s2.control.base import ModeMachine, ModeOption  # noqa: PLC0415

    options = [
        ModeOption("charge", 0.0, 5000.0),
        ModeOption("idle", 0.0, 0.0),
        ModeOption("discharge", -5000.0, 0.0),
    ]
    at = datetime(2026, 12, 1, tzinfo=UTC)
    machine = ModeMachine((), {})
    # a plan's -0.009 W is idle (the narrowest mode within a tenth of a watt)
    assert machine.choose(options, -0.009, at) == ("idle", 0.0)
    assert machine.choose(options, 0.009, at) == ("idle", 0.0)
    mode, factor = machine.choose(options, -200.0, at) or ("", 0.0)
    assert mode == "discharge"
    assert factor == 0.96
